import Fastify, { LogController } from 'fastify'
import type { Server } from 'node:http'
import type { FastifyBaseLogger, FastifyHttpOptions, FastifyInstance } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import type { Logger } from 'pino'
import { storeHttpApi } from '@sessiond/session-store'
import type { HttpLockTable, SessionStore } from '@sessiond/session-store'
import type { Dispatcher } from '@sessiond/supervisor'
import { basePathRewriter } from './base-path.ts'
import type { Config } from './config.ts'
import { errorReply } from './error-reply.ts'
import { BadFramingError, NotFoundError, NotReadyError } from './errors.ts'
import { adminApi } from './admin/admin-api.ts'
import { adminCaller, requireAdmin } from './admin/admin-auth.ts'
import { adminPage } from './admin/admin-page.ts'
import { AdminTokens, adminTokensFile } from './admin/admin-tokens.ts'
import { homePage } from './home-page.ts'
import { LoginCounts } from './metrics/login-counts.ts'
import { SessiondMetrics } from './metrics/metrics-registry.ts'
import { RealmRequestMetrics } from './metrics/realm-request-metrics.ts'
import { Readiness } from './readiness.ts'
import { observeRealmRequests } from './realm-observer.ts'
import { SpawnProgress, spawnProgressRoutes } from './spawn-progress.ts'
import { registerFrontAuth } from './front-auth.ts'
import type { RenewSession } from './front-auth.ts'
import { loginRoutes } from './login.ts'
import { DeviceCookies } from './device-cookie.ts'
import { nodeHttpLimits } from './node-http-limits.ts'
import { registerPublicPrefix } from './public-prefix.ts'
import { realmRouter } from './realm-router.ts'
import { RealmUpgrades } from './realm-upgrade.ts'
import { SocketHub } from './socket-hub.ts'
import { routeUpgrades } from './upgrade-listener.ts'
import { lazyChildLogger } from './request-logger.ts'
import { requestIdGenerator } from './request-id.ts'
import { clientErrorHandler } from './client-error.ts'
import { framingProblem } from './request-framing.ts'
import { isCanonicalPath } from './request-path.ts'
import { registerSecurityHeaders } from './security-headers.ts'
import { cookieSchemes, readSessionId, registerSessionCookie } from './session-cookie.ts'
import { storeCsrfGuard } from './store-csrf-guard.ts'
import type { UserDirectory } from './user-directory.ts'

export interface ServerOptions {
  config: Config
  logger: Logger
  store: SessionStore
  /** Where requests for realms go: the embedded supervisor, or supervisors on other hosts. */
  dispatcher: Dispatcher
  users: UserDirectory
  cookieKey: Buffer
  /** Keys that sealed cookies before the last `sessiond keys rotate`: they still open, never seal. */
  previousCookieKeys?: Buffer[]
  /** PEM certificate and key: the listener speaks HTTPS, HTTP/2 by ALPN with HTTP/1.1 for the rest. */
  tls?: { cert: Buffer, key: Buffer }
  /** The key of the store API's session tokens (store-token-key.ts); derived by the daemon, which also mints them. */
  storeTokenKey: Buffer
  /** The store API's table of locks held across requests, kept by the daemon to drop a dead worker's locks. */
  storeLocks?: HttpLockTable
  /** What operators see and do: metrics, readiness, admin tokens, reload (the daemon makes them; defaults for a bare server). */
  ops?: Partial<GatewayOps>
}

/** The parts of the gateway that operators use, shared with the metrics listener and the control socket. */
export interface GatewayOps {
  requests: RealmRequestMetrics
  logins: LoginCounts
  metrics: SessiondMetrics
  readiness: Readiness
  adminTokens: AdminTokens
  /** Re-reads the config file (SIGHUP's reload); answers what it changed. */
  reload: () => Promise<unknown>
}

/** The operators' parts a daemon shares between its listeners: made once, handed to buildServer and the others. */
export function gatewayOps ({ config, store, dispatcher, reload }: Pick<ServerOptions, 'config' | 'store' | 'dispatcher'> & { reload?: () => Promise<unknown> }): GatewayOps {
  const requests = new RealmRequestMetrics()
  const logins = new LoginCounts()
  return {
    requests,
    logins,
    metrics: new SessiondMetrics({ dispatcher, store, requests, logins }),
    readiness: new Readiness(store),
    adminTokens: new AdminTokens(adminTokensFile(config.dataDir)),
    reload: reload ?? (() => Promise.reject(new Error('this gateway has no config file to reload')))
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The WebSockets the gateway holds open, parked ones included. */
    webSockets: SocketHub
  }
}

/** The Fastify gateway: login, the session cookie, realms, health. */
export async function buildServer ({ config, logger, store, dispatcher, users, cookieKey, previousCookieKeys = [], tls, storeTokenKey, storeLocks, ops: given = {} }: ServerOptions): Promise<FastifyInstance> {
  const ops: GatewayOps = { ...gatewayOps({ config, store, dispatcher }), ...given }
  const basePath = config.basePath === undefined ? null : basePathRewriter(config.basePath)
  // One code path for both listeners; Fastify's types split on http2, the instance's API does not.
  // One id sequence for requests and for what the parser refuses before there is a request.
  const nextRequestId = requestIdGenerator()
  const gatewayLog = logger.child({ component: 'gateway' }) as FastifyBaseLogger
  const app = Fastify({
    ...(basePath && { rewriteUrl: basePath.rewriteUrl }),
    ...(tls && {
      http2: true,
      https: { allowHTTP1: true, cert: tls.cert, key: tls.key, settings: { maxHeaderListSize: config.limits.maxHeaderSize } }
    }),
    loggerInstance: gatewayLog,
    // The hot path logs nothing at info: errors log themselves in errorReply.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: nextRequestId,
    clientErrorHandler: clientErrorHandler(nextRequestId, gatewayLog),
    childLoggerFactory: lazyChildLogger as never,
    return503OnClosing: true,
    ...edgeOptions(config.limits),
    // proxy-addr's list: only these peers' X-Forwarded-* set request.ip, protocol and host.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    // Fastify's defaults, stated: a JSON body with __proto__ or constructor.prototype is a 400.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error'
  } as FastifyHttpOptions<Server>) as unknown as FastifyInstance
  app.server.maxConnections = config.limits.maxConnections
  app.setErrorHandler(errorReply)
  app.setNotFoundHandler((request, reply) => errorReply(new NotFoundError(), request, reply))

  // Before anything else reads the request: refuse what could be framed or routed two ways.
  // A callback hook, not an async one: every request runs it, and a promise per request is work for nothing.
  app.addHook('onRequest', (request, reply, done) => {
    // A client that breaks its body (a bad chunk) or goes away before a handler reads it makes
    // Node destroy the request with an error; with no listener yet, that error would end the process.
    request.raw.on('error', ignoreClientError)
    const problem = framingProblem(request.raw)
    if (problem) return done(new BadFramingError(problem))
    // Answered here: the chain stops without done().
    if (!isCanonicalPath(request.url) || basePath?.isOutside(request.raw)) return void reply.callNotFound()
    done()
  })

  // Only a TLS listener or a trusted proxy can make request.protocol https: elsewhere the hook could never add anything.
  if (config.hsts > 0 && (tls !== undefined || config.trustProxy.length > 0)) {
    const hsts = `max-age=${Math.floor(config.hsts / 1000)}; includeSubDomains`
    app.addHook('onSend', async (request, reply) => {
      if (request.protocol === 'https') reply.header('strict-transport-security', hsts)
    })
  }

  await registerSessionCookie(app, [cookieKey, ...previousCookieKeys], config.session.maxAge,
    cookieSchemes({ tls: tls !== undefined, trustProxy: config.trustProxy.length > 0, basePath: config.basePath !== undefined }))
  // Both read the session cookie, so their hooks come after its own.
  registerPublicPrefix(app, { basePath: config.basePath, trustProxy: config.trustProxy })
  let renewSession: RenewSession | undefined
  if (config.auth.mode === 'header') {
    renewSession = registerFrontAuth(app, {
      header: config.auth.header,
      trustProxy: config.trustProxy,
      store,
      maxAge: config.session.maxAge,
      idleTimeout: config.session.idleTimeout
    })
  }
  app.get('/healthz', async () => ({ ok: true }))
  app.get('/readyz', async () => {
    const problem = await ops.readiness.problem()
    if (problem !== null) throw new NotReadyError(problem)
    return { ready: true }
  })
  const caller = adminCaller({ store, users, tokens: ops.adminTokens, group: config.admin.group, idleTimeout: config.session.idleTimeout })
  const isAdmin = async (user: string) => (await users.groups(user)).includes(config.admin.group)

  await app.register(async (gatewayOwn) => {
    await registerSecurityHeaders(gatewayOwn)
    await gatewayOwn.register(fastifyFormbody, { bodyLimit: 8 * 1024 })
    await loginRoutes(gatewayOwn, { config, store, users, devices: new DeviceCookies(cookieKey), counts: ops.logins })
    await homePage(gatewayOwn, { config, store, dispatcher, isAdmin })
    await spawnProgressRoutes(gatewayOwn, { config, store, dispatcher, users })
  })
  // The admin API and the metrics for admins (admin/admin-auth.ts says who), and the admin page under a CSP of its own.
  await app.register(async (admin) => {
    await adminApi(admin, { dispatcher, store, metrics: ops.metrics, reload: ops.reload, caller, logger })
    admin.get('/_sessiond/metrics', { preHandler: requireAdmin(caller, 'read') }, async (request, reply) => {
      const { contentType, body } = await ops.metrics.render(SessiondMetrics.wantsOpenMetrics(request.headers.accept))
      return reply.type(contentType).send(body)
    })
  })
  await app.register(async (page) => adminPage(page, { caller, realms: () => config.realms }))
  // The session's data by URL: a store token (exec workers' SESSIOND_STORE_URL) or the browser's own cookie,
  // which must not write from another site's page.
  await app.register(async (storeApi) => {
    storeApi.addHook('onRequest', storeCsrfGuard(storeTokenKey))
    await storeApi.register(storeHttpApi, { prefix: '/_sessiond/store', store, tokenKey: storeTokenKey, sessionFromRequest: readSessionId, locks: storeLocks })
  })
  // WebSockets: handshakes go through the same hooks and the realm route; a session's end closes its sockets (1008),
  // shutdown closes them all (1001) before the server waits for its connections.
  const hub = new SocketHub(config.limits.webSocketPing)
  app.decorate('webSockets', hub)
  const unsubscribe = store.onSessionEnd(id => hub.endSession(id))
  app.addHook('preClose', async () => {
    unsubscribe()
    await hub.close()
  })
  routeUpgrades(app)
  const upgrades = new RealmUpgrades({ config, store, dispatcher, users, hub, log: app.log.child({ component: 'websockets' }) })
  await app.register(async (realms) => {
    observeRealmRequests(realms, { accessLog: config.log.access })
    await realmRouter(realms, { config, store, dispatcher, users, renewSession, requests: ops.requests, progress: new SpawnProgress({ dispatcher }), upgrades })
  })
  return app
}

function ignoreClientError (): void {
  // Whoever streams the body listens for its own errors; this one only keeps an unread body's from being uncaught.
}

/** Node's and Fastify's connection limits from the config: none of them left at "forever". */
function edgeOptions (limits: Config['limits']) {
  return {
    http: nodeHttpLimits(limits),
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    connectionTimeout: limits.connectionTimeout,
    maxRequestsPerSocket: limits.maxRequestsPerSocket
  }
}
