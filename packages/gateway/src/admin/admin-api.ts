// The admin API, /_sessiond/admin/api/v1 (JSON): what runs, and what an
// operator may do to it. Served on the main listener (admin-auth.ts says to
// whom) and on the control socket (control-socket.ts), from the same routes.
//
//   GET  /whoami                         the caller and their scopes
//   GET  /sessions?user&realm&state&offset&limit
//   GET  /workers?realm&kind&state&user&offset&limit
//   POST /workers/:id/stop | hibernate | restart
//   POST /sessions/:id/end               log that session out (its workers stop)
//   POST /users/:user/sessions/end       log the user out everywhere
//   POST /reload                         re-read the config file (as SIGHUP)
//   GET  /hosts                          the supervisor hosts (one for sessiond start)
//   POST /hosts/:host/drain?deadline=    move every worker of the host elsewhere (a cluster's)
//   POST /workers/:id/migrate?to=HOST    move one worker to another host (a cluster's)
//   GET  /status?format=json|openmetrics
//   GET  /events                         server-sent events: the sessions and workers as they change
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'
import { WORKER_STATES, parseDuration } from '@sessiond/supervisor'
import type { Dispatcher, WorkerAction, WorkerActionResult, WorkerState } from '@sessiond/supervisor'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import { AdminNotFoundError, BadAdminQueryError } from '../errors.ts'
import type { SessiondMetrics } from '../metrics/metrics-registry.ts'
import { endSession } from '../login-session.ts'
import { requireAdmin } from './admin-auth.ts'
import type { AdminCaller } from './admin-auth.ts'
import { adminEvents } from './admin-events.ts'
import { sessionByHash, sessionViews } from './session-views.ts'

export const ADMIN_API = '/_sessiond/admin/api/v1'

export interface AdminApiOptions {
  dispatcher: Dispatcher
  store: SessionStore
  metrics: SessiondMetrics
  /** Re-reads the config file (the daemon's reload); answers what it changed. */
  reload: () => Promise<unknown>
  caller: (request: FastifyRequest) => Promise<AdminCaller>
  logger: Logger
}

interface ListQuery { user?: string, realm?: string, kind?: string, state?: string, offset?: string, limit?: string, format?: string }

const MAX_LIMIT = 1000

function page (q: ListQuery): { offset: number, limit: number } {
  const offset = q.offset === undefined ? 0 : Number(q.offset)
  const limit = q.limit === undefined ? 100 : Number(q.limit)
  if (!Number.isInteger(offset) || offset < 0) throw new BadAdminQueryError(`offset: expected an integer >= 0, got ${JSON.stringify(q.offset)}`)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new BadAdminQueryError(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(q.limit)}`)
  return { offset, limit }
}

function stateOf (q: ListQuery): WorkerState | undefined {
  if (q.state === undefined) return undefined
  if (!(WORKER_STATES as readonly string[]).includes(q.state)) throw new BadAdminQueryError(`state: expected one of ${WORKER_STATES.join(', ')}, got ${JSON.stringify(q.state)}`)
  return q.state as WorkerState
}

/** A worker's id in the API: `<session hash>.<realm>`. */
function targetOf (id: string): { session: string, realm: string } {
  const dot = id.indexOf('.')
  if (dot <= 0 || dot === id.length - 1) throw new AdminNotFoundError('worker', id)
  return { session: id.slice(0, dot), realm: id.slice(dot + 1) }
}

export async function adminApi (app: FastifyInstance, { dispatcher, store, metrics, reload, caller, logger }: AdminApiOptions): Promise<void> {
  const read = { preHandler: requireAdmin(caller, 'read') }
  const act = { preHandler: requireAdmin(caller, 'act') }
  const log = logger.child({ component: 'admin' })
  /** Every action is logged with who did it and what it did. */
  const did = (request: FastifyRequest, action: string, fields: Record<string, unknown>) =>
    log.info({ event: 'admin-action', by: request.adminCaller?.who, action, reqId: request.id, ...fields }, `admin: ${action}`)

  app.get(`${ADMIN_API}/whoami`, read, async (request) => ({ who: request.adminCaller!.who, scopes: [...request.adminCaller!.scopes], via: request.adminCaller!.via }))

  app.get(`${ADMIN_API}/sessions`, read, async (request) => {
    const q = request.query as ListQuery
    const { offset, limit } = page(q)
    const all = await sessionViews(store, dispatcher, { user: q.user, realm: q.realm, state: stateOf(q) })
    return { total: all.length, offset, limit, sessions: all.slice(offset, offset + limit) }
  })

  app.get(`${ADMIN_API}/workers`, read, async (request) => {
    const q = request.query as ListQuery
    const { offset, limit } = page(q)
    const all = await dispatcher.workers({ user: q.user, realm: q.realm, kind: q.kind, state: stateOf(q), usage: true })
    return { total: all.length, offset, limit, workers: all.slice(offset, offset + limit) }
  })

  for (const action of ['stop', 'hibernate', 'restart'] as WorkerAction[]) {
    app.post(`${ADMIN_API}/workers/:id/${action}`, act, async (request) => {
      const { id } = request.params as { id: string }
      let result: WorkerActionResult
      try {
        result = await dispatcher.workerAction(targetOf(id), action)
      } catch (err) {
        if ((err as { code?: string }).code === 'SUP_ERR_NO_WORKER') throw new AdminNotFoundError('worker', id, { cause: err })
        throw err
      }
      did(request, `worker ${action}`, { worker: id, user: result.before.user, realm: result.before.realm, before: result.before.state, after: result.after?.state ?? null })
      return result
    })
  }

  app.post(`${ADMIN_API}/sessions/:id/end`, act, async (request) => {
    const { id } = request.params as { id: string }
    const session = await sessionByHash(store, id)
    if (!session) throw new AdminNotFoundError('session', id)
    await endSession(store, session.id)
    // The store's end event stops the workers too; waiting here makes the answer mean they have stopped.
    await dispatcher.stopSession(session.id, 'logout')
    did(request, 'session end', { session: id, user: session.user })
    return { ended: [{ id, user: session.user }] }
  })

  app.post(`${ADMIN_API}/users/:user/sessions/end`, act, async (request) => {
    const { user } = request.params as { user: string }
    const { sessions } = await store.list({ user, limit: Number.MAX_SAFE_INTEGER })
    const ended = await Promise.all(sessions.map(async (s) => {
      await endSession(store, s.id)
      await dispatcher.stopSession(s.id, 'logout')
      return { id: sessionHash(s.id), user }
    }))
    did(request, 'user sessions end', { user, sessions: ended.length })
    return { user, ended }
  })

  app.post(`${ADMIN_API}/reload`, act, async (request) => {
    const summary = await reload()
    did(request, 'reload', {})
    return summary
  })

  app.get(`${ADMIN_API}/hosts`, read, async () => ({ hosts: await dispatcher.hosts() }))

  app.post(`${ADMIN_API}/hosts/:host/drain`, act, async (request) => {
    const { host } = request.params as { host: string }
    const { deadline } = request.query as { deadline?: string }
    let deadlineMs: number | undefined
    if (deadline !== undefined) {
      try {
        deadlineMs = parseDuration(deadline)
      } catch (err) {
        throw new BadAdminQueryError(`deadline: expected a duration such as 60s or 2m, got ${JSON.stringify(deadline)}`, { cause: err })
      }
    }
    const summary = await dispatcher.drain(host, deadlineMs === undefined ? {} : { deadlineMs })
    did(request, 'host drain', { ...summary })
    return summary
  })

  app.post(`${ADMIN_API}/workers/:id/migrate`, act, async (request) => {
    const { id } = request.params as { id: string }
    const { to } = request.query as { to?: string }
    if (typeof to !== 'string' || to.length === 0) throw new BadAdminQueryError('to: expected the host to move the worker to')
    const target = targetOf(id)
    // Sessions cross the API by hash; the move names the session itself.
    const session = await sessionByHash(store, target.session)
    if (!session) throw new AdminNotFoundError('worker', id)
    const placement = await dispatcher.migrate(session.id, target.realm, to)
    did(request, 'worker migrate', { worker: id, user: session.user, to: placement.host, epoch: placement.epoch })
    return { worker: id, ...placement }
  })

  app.get(`${ADMIN_API}/status`, read, async (request, reply: FastifyReply) => {
    const { format = 'json' } = request.query as ListQuery
    if (format === 'openmetrics') {
      const { contentType, body } = await metrics.render(true)
      return reply.type(contentType).send(body)
    }
    if (format !== 'json') throw new BadAdminQueryError(`format: expected json or openmetrics, got ${JSON.stringify(format)}`)
    const [status, { total }] = await Promise.all([dispatcher.status(), store.list({ limit: 1 })])
    return { ...status, sessions: total }
  })

  app.get(`${ADMIN_API}/events`, read, (request, reply) => adminEvents(request, reply, () => Promise.all([
    sessionViews(store, dispatcher, {}),
    dispatcher.workers({ usage: true })
  ]).then(([sessions, workers]) => ({ sessions, workers }))))
}
