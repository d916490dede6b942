// The demo realm: every session gets its own worker, so `count` lives in
// that worker's memory and counts only this session's requests.
import { threadId } from 'node:worker_threads'
import { defineHandler } from '@sessiond/worker-sdk'

let count = 0

export default defineHandler({
  start (ctx) {
    ctx.log.debug('counter worker started')
  },

  fetch (_request, ctx) {
    count++
    return Response.json({ user: ctx.user, count, worker: { pid: process.pid, threadId } })
  },

  stop (ctx) {
    ctx.log.debug({ count }, 'counter worker stopping')
  }
})
