// The demo realm: every session gets its own worker, so `count` lives in
// that worker's memory and counts only this session's requests. When the
// worker is stopped for idleness (or the daemon shuts down) it hands its
// count over, and the session's next worker resumes from it.
import { threadId } from 'node:worker_threads'
import { defineHandler } from '@sessiond/worker-sdk'

let count = 0

export default defineHandler({
  start (ctx) {
    ctx.log.debug('counter worker started')
  },

  resume (state, ctx) {
    count = (state as { count?: number })?.count ?? 0
    ctx.log.debug({ count }, 'counter worker resumed')
  },

  fetch (_request, ctx) {
    count++
    return Response.json({ user: ctx.user, count, worker: { pid: process.pid, threadId } })
  },

  hibernate () {
    return { count }
  }
})
