import type { Http2ServerRequest } from 'node:http2'
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import type { DispatchRequest, Dispatcher } from '@sessiond/supervisor'
import { limitBody } from './body-limit.ts'
import type { Config, RealmConfig } from './config.ts'
import { BodyTooLargeError, RealmForbiddenError } from './errors.ts'
import { requestHeadersFor } from './forwarded-headers.ts'
import type { RenewSession } from './front-auth.ts'
import { denyUnauthenticated } from './login.ts'
import { realmAllows } from './realm-access.ts'
import { realmCspHeader } from './realm-csp.ts'
import { checkRealmCsrf } from './realm-csrf.ts'
import { keepContentTypeMissing } from './missing-content-type.ts'
import { RealmMatcher } from './realm-matcher.ts'
import { CookieRenewals } from './cookie-renewals.ts'
import { activeSessionId, readSessionUser, renewalWindow, writeSession, writeSessionUser } from './session-cookie.ts'
import type { RealmUpgrades } from './realm-upgrade.ts'
import { takeUpgrade } from './upgrade-listener.ts'
import { sendWorkerReply } from './worker-reply.ts'
import type { UserDirectory } from './user-directory.ts'
import type { RealmRequestMetrics } from './metrics/realm-request-metrics.ts'
import { isNavigation } from './spawn-progress.ts'
import type { SpawnProgress } from './spawn-progress.ts'

export interface RealmRouterOptions {
  config: Config
  store: SessionStore
  dispatcher: Dispatcher
  users: UserDirectory
  /** Auth mode `header`: a new session for the front server's user when the cookie's is gone. */
  renewSession?: RenewSession
  /** Each realm's request durations (realm-observer.ts records them when the response ends). */
  requests?: RealmRequestMetrics
  /** A navigation to a worker slow to start gets a page that follows the start (spawn-progress.ts). */
  progress?: SpawnProgress
  /** WebSocket handshakes to realms: a path of their own, apart from the per-request one. */
  upgrades: RealmUpgrades
}

/**
 * The body to stream to the worker, or null. A declared length over the
 * realm's limit fails here, before any worker is found or spawned; a body of
 * unknown length is counted as it streams.
 */
function bodyOf (request: FastifyRequest, limit: number): Readable | null {
  const h = request.headers
  const length = h['content-length']
  if (request.raw.httpVersionMajor === 2) {
    // HTTP/2 frames the body itself: it may come without a length, and there is none when the headers ended the stream.
    if ((request.raw as unknown as Http2ServerRequest).stream.endAfterHeaders || length === '0') return null
    if (length === undefined) return limitBody(request.raw, limit)
  } else {
    if (h['transfer-encoding'] !== undefined) return limitBody(request.raw, limit)
    if (length === undefined || length === '0') return null
  }
  // llhttp has already refused a Content-Length that is not one plain decimal number.
  if (Number(length) > limit) throw new BodyTooLargeError(limit)
  return request.raw
}

/** The user of a cookie-identified visitor's session in an anonymous realm. */
const ANONYMOUS = 'anonymous'

interface RealmRoute {
  mount: string
  host?: string
  realm: RealmConfig
  csp: string | null
}

/**
 * Mounts every realm: `/mount/…` goes to the session's worker for that realm
 * with the prefix stripped; `/mount` alone redirects to `/mount/`. Bodies are
 * left unparsed and stream to the worker. The realms are looked up per
 * request in `config.realms`, which a reload replaces (running-config.ts).
 */
export async function realmRouter (app: FastifyInstance, { config, store, dispatcher, users, renewSession, requests, progress, upgrades }: RealmRouterOptions): Promise<void> {
  app.removeAllContentTypeParsers()
  // Leave every body untouched: the worker reads it as a stream.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null))
  keepContentTypeMissing(app)

  const maxAge = config.session.maxAge
  const renewals = new CookieRenewals(renewalWindow(config.session.idleTimeout))
  const form = config.auth.mode === 'form'
  // The front server's user header never reaches a worker (forwarded-headers.ts).
  const userHeader = form ? '' : config.auth.header
  let routes = routesOf(config.realms)
  // One route for all realms: Fastify takes no new routes once it listens, and a reload may add or move a realm.
  // The gateway's own paths are static routes, which find-my-way prefers to this wildcard.
  app.all('/*', (request, reply) => {
    if (routes.realms !== config.realms) routes = routesOf(config.realms)
    // A host realm answers only on its own Host, read as find-my-way's host constraint reads it; elsewhere its mount is free.
    const found = routes.matcher.match(request.headers.host ?? request.headers[':authority'] as string | undefined, request.url)
    if (!found) {
      reply.callNotFound()
      return reply
    }
    const { realm, csp } = found.realm
    if (found.bare) {
      const q = request.url.indexOf('?')
      return reply.redirect(request.publicPrefix + realm.mount + '/' + (q === -1 ? '' : request.url.slice(q)), 308)
    }
    // Node sets `upgrade` for a handshake only (HTTP/2 requests have none): one field read on the hot path.
    if ((request.raw as { upgrade?: boolean }).upgrade) {
      const pending = takeUpgrade(request.raw)
      if (pending) return upgrades.handle(realm, csp, request, reply, pending)
    }
    return handle(realm, csp, request, reply)
  })

  async function handle (realm: RealmConfig, csp: string | null, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // The client broke its request or left before we got here: no one is waiting for an answer.
    if (request.raw.destroyed) return reply.hijack()
    if (requests !== undefined) request.realmTimer = requests.of(realm.name)
    checkRealmCsrf(realm.csrf, request)
    const body = bodyOf(request, realm.bodyLimit ?? config.limits.bodyLimit)
    let sessionId = activeSessionId(request, config.session.idleTimeout, renewals)
    if (sessionId === undefined) {
      if (realm.auth !== 'anonymous') return denyUnauthenticated(request, reply, form)
      sessionId = await newAnonymousSession(request)
    }
    let user = readSessionUser(request) ?? await userFromStore(request, sessionId)
    if (user === undefined) {
      if (realm.auth !== 'anonymous') return denyUnauthenticated(request, reply, form)
      sessionId = await newAnonymousSession(request)
      user = ANONYMOUS
    } else if (realm.allow && realm.auth !== 'anonymous' && !(await realmAllows(realm.allow, user, users))) {
      throw new RealmForbiddenError()
    }
    // The store's idle expiry sees this use too; batched, so the hot path makes no store round trip.
    store.touch(sessionId)
    const call: DispatchRequest = {
      // Data the gateway resolved, not a callback: the supervisor confirms the session in the store
      // only when it must start a worker, so the hot path makes no store round trip.
      identity: { sessionId, user },
      realm: realm.name,
      method: request.method,
      // The matcher found the mount in the raw URL as written (see isCanonicalPath): the worker reads the rest.
      url: `${request.protocol}://${request.host || 'localhost'}${request.url.slice(realm.mount.length)}`,
      headers: requestHeadersFor(request, request.publicPrefix + realm.mount, userHeader),
      body
    }
    request.realmSession = sessionId
    if (progress !== undefined && isNavigation(request) && await progress.shown(call, request, reply)) return reply
    try {
      return sendWorkerReply(reply, await dispatcher.dispatch(call), csp)
    } catch (err) {
      if ((err as { code?: string }).code !== 'SUP_ERR_NO_SESSION') throw err
      if (request.remoteUser !== undefined && renewSession) {
        // The front server vouches for the user still: their session ended (logout, expiry), so they get a new one.
        call.identity = { sessionId: await renewSession(request, request.remoteUser), user: request.remoteUser }
        return sendWorkerReply(reply, await dispatcher.dispatch(call), csp)
      }
      if (realm.auth !== 'anonymous') return denyUnauthenticated(request, reply, form)
      // An anonymous visitor whose session expired simply gets a new one.
      call.identity = { sessionId: await newAnonymousSession(request), user: ANONYMOUS }
      return sendWorkerReply(reply, await dispatcher.dispatch(call), csp)
    }
  }

  function routesOf (realms: readonly RealmConfig[]): { realms: readonly RealmConfig[], matcher: RealmMatcher<RealmRoute> } {
    return { realms, matcher: new RealmMatcher(realms.map(realm => ({ mount: realm.mount, host: realm.host, realm, csp: realmCspHeader(realm.csp) }))) }
  }

  async function newAnonymousSession (request: FastifyRequest): Promise<string> {
    const fresh = await store.create(ANONYMOUS, maxAge)
    writeSession(request, fresh.id, ANONYMOUS)
    return fresh.id
  }

  /** A cookie from before the user name travelled in it: one store lookup, and the cookie learns the name. */
  async function userFromStore (request: FastifyRequest, sessionId: string): Promise<string | undefined> {
    const record = await store.lookup(sessionId)
    if (record) writeSessionUser(request, record.user)
    return record?.user
  }
}
