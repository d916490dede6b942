// The demo realm: every session gets its own worker, so `count` lives in
// that worker's memory and counts only this session's requests. When the
// worker is stopped for idleness (or the daemon shuts down) it hands its
// count over, and the session's next worker resumes from it. The page shows
// which worker answered: its own id, since when, and whether it resumed.
import { randomBytes } from 'node:crypto'
import { threadId } from 'node:worker_threads'
import { defineHandler } from '@sessiond/worker-sdk'
import { demoPage, escapeHtml, wantsHtml } from '../demo-page/page.ts'

let count = 0
/** This worker's own name: made when its module loads, once per (session, realm) worker. */
const workerId = randomBytes(4).toString('hex')
const startedAt = new Date()
/** Set when this worker took over a hibernated one's count. */
let resumed: { count: number, from: string } | null = null

function uptime (): string {
  const s = Math.floor((Date.now() - startedAt.getTime()) / 1000)
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`
}

export default defineHandler({
  start (ctx) {
    ctx.log.debug('counter worker started')
  },

  resume (state, ctx) {
    const saved = state as { count?: number, workerId?: string } | undefined
    count = saved?.count ?? 0
    resumed = { count, from: saved?.workerId ?? 'an earlier worker' }
    ctx.log.debug({ count }, 'counter worker resumed')
  },

  fetch (request, ctx) {
    count++
    const worker = { id: workerId, pid: process.pid, threadId, startedAt: startedAt.toISOString() }
    if (!wantsHtml(request)) return Response.json({ user: ctx.user, count, worker, resumed })
    return demoPage({
      title: 'Counter',
      user: ctx.user,
      body: `<h1>Your own worker</h1>
<p class="big" id="count">${count}</p>
<p>requests of <strong>this session</strong> counted in the memory of its worker.
<a href="./" id="again">Count again</a></p>
<dl>
<dt>worker</dt><dd id="worker-id">${workerId}</dd>
<dt>running for</dt><dd id="uptime">${uptime()}</dd>
<dt>thread</dt><dd>${threadId} in the daemon's process ${process.pid}</dd>
</dl>
<p class="note" id="resumed">${resumed
        ? `This worker resumed from a hibernation: worker ${escapeHtml(resumed.from)} was stopped when idle and handed over its count (${resumed.count}).`
        : 'This worker started fresh for your session. Leave it idle past the realm\'s idleTimeout and it hibernates: the next request starts a new worker, which carries the count on.'}</p>
<p>Open the demo in another browser (or a private window) and log in again: that session gets a worker of its own,
with another worker id and its own count. The process id is the daemon's for every session, because a
<code>context</code> or <code>thread</code> worker runs inside the daemon; the <a href="../whoami/">whoami</a> realm is a process of its own.</p>`
    })
  },

  hibernate () {
    return { count, workerId }
  }
})
