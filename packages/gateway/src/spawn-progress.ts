// A browser that navigates to a realm whose worker is slow to start sees a
// small page that follows the start, rather than a tab spinning for the
// whole start timeout (jupyterhub#1389), and, when the start fails, the
// reason an operator would need, not only a line in the log.
//
//   GET /realm/… (a navigation) ── startWorker ── ready within 1 s ──▶ the request, as always
//                                      └── still starting ──▶ 200 progress page (the request is not sent)
//   page ── EventSource /_sessiond/spawn/<realm>/events ── ready ──▶ location.reload()
//                                                       └── failed {code, reason} ──▶ shown on the page
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import type { DispatchRequest, Dispatcher } from '@sessiond/supervisor'
import type { Config } from './config.ts'
import { NotAuthenticatedError, NotFoundError, RealmForbiddenError } from './errors.ts'
import { realmAllows } from './realm-access.ts'
import type { UserDirectory } from './user-directory.ts'
import { escapeHtml } from './html.ts'
import { activeSessionId } from './session-cookie.ts'

/** A start slower than this shows the page. */
const SHOW_AFTER_MS = 1000

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

/** A top-level browser navigation: the one kind of request a page can answer for. */
export function isNavigation (request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false
  const mode = request.headers['sec-fetch-mode']
  if (mode !== undefined) return mode === 'navigate'
  return request.headers.accept?.includes('text/html') ?? false
}

/** The reason a start failed, in the words an operator needs: the error and every cause under it. */
export function startFailureReason (err: unknown): string {
  const parts: string[] = []
  for (let e = err as { message?: string, cause?: unknown } | undefined; e && parts.length < 5; e = e.cause as typeof e) {
    const m = typeof e.message === 'string' ? e.message.trim() : ''
    if (m && !parts.includes(m)) parts.push(m)
  }
  return parts.join(': ') || String(err)
}

function progressPage (prefix: string, realm: string): string {
  const e = escapeHtml
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sessiond-spawn" content="${e(prefix)}/_sessiond/spawn/${e(realm)}/events">
<title>Starting ${e(realm)} · sessiond</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2430}#reason{color:#a00;white-space:pre-wrap}</style>
<script src="${e(prefix)}/_sessiond/spawn.js" defer></script>
</head><body>
<h1>Starting ${e(realm)}…</h1>
<p id="progress">Your worker is starting; this page loads it when it is ready.</p>
<p id="reason" role="alert" hidden></p>
<p><a href="${e(prefix)}/">Home</a></p>
</body></html>
`
}

const SPAWN_JS = `'use strict'
;(function () {
  var url = document.querySelector('meta[name="sessiond-spawn"]').getAttribute('content')
  var events = new EventSource(url)
  var seconds = 0
  var progress = document.getElementById('progress')
  var tick = setInterval(function () { seconds++; progress.textContent = 'Your worker is starting (' + seconds + ' s); this page loads it when it is ready.' }, 1000)
  events.addEventListener('ready', function () { events.close(); clearInterval(tick); location.reload() })
  events.addEventListener('failed', function (e) {
    events.close()
    clearInterval(tick)
    var failure = JSON.parse(e.data)
    progress.textContent = 'Your worker could not start (' + failure.code + ').'
    var reason = document.getElementById('reason')
    reason.textContent = failure.reason
    reason.hidden = false
  })
})()
`

export interface SpawnProgressOptions {
  dispatcher: Dispatcher
}

export class SpawnProgress {
  readonly #dispatcher: Dispatcher

  constructor ({ dispatcher }: SpawnProgressOptions) {
    this.#dispatcher = dispatcher
  }

  /**
   * For a navigation: starts the worker and, when it is not ready within a
   * second, answers the progress page instead of the request. Answers whether
   * it did; when it did not, the request goes on as always (a start that
   * failed fails it again, with the coded error).
   */
  async shown (call: DispatchRequest, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const started = this.#dispatcher.startWorker({ identity: call.identity, realm: call.realm })
    let timer: NodeJS.Timeout | undefined
    const slow = new Promise<'slow'>((resolve) => { timer = setTimeout(resolve, SHOW_AFTER_MS, 'slow') })
    const outcome = await Promise.race([started.then(() => 'done' as const, () => 'done' as const), slow])
    clearTimeout(timer)
    if (outcome === 'done') return false
    // The start goes on; its outcome reaches the page's events (a failure is logged by the supervisor).
    started.catch(() => { /* reported to the page */ })
    reply.code(200).header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8')
    reply.send(progressPage(request.publicPrefix, call.realm))
    return true
  }
}

/**
 * The progress page's script and its events: the session's own worker only,
 * named by the cookie, in a realm the user may reach (its `allow` rule, as
 * the realm router checks it).
 */
export async function spawnProgressRoutes (app: FastifyInstance, { config, store, dispatcher, users }: { config: Config, store: SessionStore, dispatcher: Dispatcher, users: UserDirectory }): Promise<void> {
  app.get('/_sessiond/spawn.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(SPAWN_JS))
  app.get('/_sessiond/spawn/:realm/events', async (request, reply) => {
    const sid = activeSessionId(request, config.session.idleTimeout)
    const session = sid ? await store.lookup(sid) : null
    if (!session || !sid) throw new NotAuthenticatedError()
    const { realm } = request.params as { realm: string }
    const def = config.realms.find(r => r.name === realm)
    if (!def) throw new NotFoundError()
    if (def.allow && def.auth !== 'anonymous' && !(await realmAllows(def.allow, session.user, users))) throw new RealmForbiddenError()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    res.write(': starting\n\n')
    try {
      await dispatcher.startWorker({ identity: { sessionId: sid, user: session.user }, realm })
      res.end('event: ready\ndata: {}\n\n')
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'GW_ERR_INTERNAL'
      res.end(`event: failed\ndata: ${JSON.stringify({ code, reason: startFailureReason(err) })}\n\n`)
    }
  })
}
