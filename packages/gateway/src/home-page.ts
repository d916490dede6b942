import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import type { Dispatcher, WorkerState } from '@sessiond/supervisor'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import type { Config } from './config.ts'
import { CSRF_FIELD, csrfGuard, csrfToken } from './csrf-guard.ts'
import { NotAuthenticatedError } from './errors.ts'
import { escapeHtml, page } from './html.ts'
import { activeSessionId } from './session-cookie.ts'

export interface HomePageOptions {
  config: Config
  store: SessionStore
  dispatcher: Dispatcher
  /** Whether the user may open the admin page: a link to it then. */
  isAdmin: (user: string) => Promise<boolean>
}

/** What the user's own page says of a worker's state. */
function shown (state: WorkerState | undefined): 'running' | 'hibernated' | 'none' | 'starting' | 'stopping' | 'backing off' {
  if (state === undefined) return 'none'
  if (state === 'ready' || state === 'busy') return 'running'
  if (state === 'backoff') return 'backing off'
  return state
}

/**
 * The home page after login: the user's realms, each with the state of this
 * session's worker (running, hibernated, none) and a Stop button (JupyterHub's
 * "Stop My Server": the worker stops without hibernating and the next visit
 * starts it afresh), and log out. Every realm page links back to it.
 */
export async function homePage (app: FastifyInstance, { config, store, dispatcher, isAdmin }: HomePageOptions): Promise<void> {
  const live = async (request: FastifyRequest) => {
    const sid = activeSessionId(request, config.session.idleTimeout)
    const session = sid ? await store.lookup(sid) : null
    return session && sid ? { sid, user: session.user } : null
  }

  app.get('/', async (request, reply) => {
    const prefix = escapeHtml(request.publicPrefix)
    const session = await live(request)
    if (!session) {
      const body = config.auth.mode === 'form'
        ? `<h1>sessiond</h1><p><a href="${prefix}/login">Log in</a> to reach your realms.</p>`
        : '<h1>sessiond</h1><p>Not logged in.</p>'
      return reply.type('text/html; charset=utf-8').send(page('sessiond', body))
    }
    const token = escapeHtml(csrfToken(request))
    const workers = await dispatcher.workers({ session: sessionHash(session.sid) })
    const state = new Map(workers.map(w => [w.realm, w.state]))
    const rows = config.realms.map((r) => {
      const s = shown(state.get(r.name))
      const stop = s === 'running' || s === 'hibernated' || s === 'backing off'
        ? `<form method="post" action="${prefix}/_sessiond/my/realms/${escapeHtml(r.name)}/stop" class="stop"><input type="hidden" name="${CSRF_FIELD}" value="${token}"><button type="submit">Stop</button></form>`
        : ''
      return `<li data-realm="${escapeHtml(r.name)}"><a href="${prefix}${escapeHtml(r.mount)}/">${escapeHtml(r.name)}</a> <small>${escapeHtml(r.mount)}/</small> <span class="state">${s}</span> ${stop}</li>`
    }).join('\n')
    const admin = await isAdmin(session.user) ? `<p><a href="${prefix}/_sessiond/admin/">Admin</a></p>` : ''
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page('sessiond', `<h1>Hello, ${escapeHtml(session.user)}</h1>
<ul class="realms">${rows}</ul>
${admin}<form method="post" action="${prefix}/logout"><input type="hidden" name="${CSRF_FIELD}" value="${token}"><button type="submit">Log out</button></form>`))
  })

  // Only the session's own worker: the slot is named by the cookie's session, never by the client.
  app.post('/_sessiond/my/realms/:realm/stop', { preHandler: csrfGuard }, async (request, reply) => {
    const session = await live(request)
    if (!session) throw new NotAuthenticatedError()
    const { realm } = request.params as { realm: string }
    const hash = sessionHash(session.sid)
    const [slot] = await dispatcher.workers({ session: hash, realm })
    if (slot) await dispatcher.workerAction({ session: hash, realm }, 'stop')
    request.log.info({ event: 'worker-stop-by-user', realm, user: session.user, stopped: slot !== undefined }, 'user stopped their worker')
    if (request.headers.accept?.includes('text/html') || request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return reply.redirect(`${request.publicPrefix}/`, 303)
    }
    return { realm, stopped: slot !== undefined }
  })
}
