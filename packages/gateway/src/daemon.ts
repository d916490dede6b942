import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { HttpLockTable, openStore, storeToken } from '@sessiond/session-store'
import type { LineProtocolListener, SessionStore } from '@sessiond/session-store'
import { Supervisor } from '@sessiond/supervisor'
import type { Config, ConfigOverrides } from './config.ts'
import { ConfigReloader } from './config-reload.ts'
import type { ReloadSummary } from './config-reload.ts'
import { loadCookieKeys } from './cookie-key.ts'
import { ensureDemoUser } from './demo-user.ts'
import { listenFront, readTlsFile } from './front-listeners.ts'
import type { FrontListeners } from './front-listeners.ts'
import { assertHandlersLoad } from './handler-preflight.ts'
import { ConfigError } from './errors.ts'
import type { HttpRedirect } from './http-redirect.ts'
import { stopOrphanedWorkers } from './orphan-sweep.ts'
import { ORPHAN_SWEEP_EVERY_MS, collectExpiredSessions, every } from './upkeep.ts'
import { RunningConfig } from './running-config.ts'
import { buildServer, gatewayOps } from './server.ts'
import type { GatewayOps } from './server.ts'
import { TimedStore } from './metrics/timed-store.ts'
import { storeTokenKey } from './store-token-key.ts'
import { openUserDirectory } from './user-source.ts'
import { UsersFile } from './users-file.ts'

export interface Daemon {
  app: FastifyInstance
  url: string
  supervisor: Supervisor
  store: SessionStore
  /**
   * The store HTTP API's locks held across requests. Each process or exec
   * worker's token names it as their holder, and its locks are dropped
   * (`dropHolder`) the moment the supervisor sees it gone.
   */
  storeLocks: HttpLockTable
  /** The line-protocol listener, when `store.protocolListen` is set. */
  lineProtocol: LineProtocolListener | null
  /** The plain-HTTP listener that redirects to HTTPS, when `httpRedirect` is set. */
  httpRedirect: HttpRedirect | null
  demo: { user: string, password: string | null, account?: string } | null
  /** Metrics, readiness, admin tokens: what the admin API, /metrics and the control socket read. */
  ops: GatewayOps
  /** `metrics.listen`'s URL of /metrics, when it is set. */
  metricsUrl: string | null
  /** The control socket's path, when it listens (control-socket.ts). */
  controlSocket: string | null
  /**
   * Re-reads the config file (SIGHUP) with the overrides the daemon started
   * with and applies what can change live; throws, changing nothing, when
   * the file is not valid. Logs what it did either way.
   */
  reload (): Promise<ReloadSummary>
  close (): Promise<void>
}

/** How often live workers are checked against the store, for session ends whose event never came. */
export interface DaemonOptions {
  /** `sessiond stop` over the control socket: what stopping means here (the CLI: SIGTERM's graceful path). Default: close(). */
  onStopRequest?: () => void
}

/** One process: gateway + embedded supervisor + session store, listening. */
export async function startDaemon (config: Config, logger: Logger, overrides: ConfigOverrides = {}, { onStopRequest }: DaemonOptions = {}): Promise<Daemon> {
  // One process with a cluster's file would serve sessions outside the cluster's fences.
  if (config.cluster) throw new ConfigError(`${config.file} has a cluster section: run sessiond supervisor and sessiond gateway with it (docs/deploy/cluster.md), or remove it for sessiond start`)
  // A handler that cannot resolve its imports stops start-up, naming the module, not its first request.
  await assertHandlersLoad(config.realms)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const [cookieKey, ...previousCookieKeys] = await loadCookieKeys(config.dataDir)
  const tls = config.tls && { cert: await readTlsFile(config.tls.cert), key: await readTlsFile(config.tls.key) }
  const users = openUserDirectory(config)
  // The stand-in hash for unknown users (a scrypt, about 0.4 s, most of start-up) is ready before the
  // first login: otherwise an unknown name would answer later than a wrong password right after start.
  await users.prepare()
  const demo = config.users.demo && users instanceof UsersFile ? await ensureDemoUser(users, config.users.demo, config.dataDir, config.realms) : null
  // A Redis that cannot be reached stops start-up here, with STORE_ERR_CONNECT naming it.
  // Every operation timed, for sessiond_store_operation_duration_seconds.
  const store = new TimedStore(await openStore({ kind: config.store.kind, url: config.store.url, dataDir: config.dataDir, idleMs: config.session.idleTimeout, warn: (message) => logger.warn(message) }))
  // Process and exec workers reach their session's data through the store's HTTP API
  // on this daemon, with a token for that session only; known once we listen.
  let storeBase: string | undefined
  const tokenKey = storeTokenKey(cookieKey)
  const storeLocks = new HttpLockTable(store)
  const supervisor = new Supervisor({
    realms: config.realms,
    store,
    logger: logger.child({ component: 'supervisor' }),
    // Its workers' process groups and transient uids, for the next start after a crash.
    stateDir: config.dataDir,
    // A holder (one worker) in the token: its locks are dropped at once when that worker ends.
    storeAccess: (sid) => {
      if (storeBase === undefined) return undefined
      const holder = randomUUID()
      return {
        url: storeBase.replace('://', `://session:${storeToken(tokenKey, sid, holder)}@`),
        release: () => storeLocks.dropHolder(holder)
      }
    }
  })
  // destroy and regenerate_id from any path (HTTP API, line protocol, a handle) end the id's workers too.
  store.onSessionEnd(id => {
    supervisor.stopSession(id, 'logout').catch(err => logger.error({ err }, 'stopping the workers of an ended session failed'))
  })
  // A Redis that lost its data (restarted without persistence) ended sessions without an event for each.
  store.onDataLost(() => {
    logger.warn('the session store lost data: stopping the workers of sessions it no longer has')
    stopOrphanedWorkers(supervisor, store, logger).catch(err => logger.warn({ err }, 'checking live workers against the store failed'))
  })
  // The gateway reads the running config: a reload swaps the realms under it.
  const running = new RunningConfig(config)
  const reloader = new ConfigReloader({ running, overrides, dispatcher: supervisor, logger: logger.child({ component: 'config' }) })
  const ops = gatewayOps({ config, store, dispatcher: supervisor, reload: () => reloader.reload() })
  const app = await buildServer({ config: running.view, logger, store, dispatcher: supervisor, users, cookieKey, previousCookieKeys, tls, storeTokenKey: tokenKey, storeLocks, ops })

  const gc = collectExpiredSessions(store, logger)
  const orphanSweep = every(ORPHAN_SWEEP_EVERY_MS, 'checking live workers against the store', logger, () => stopOrphanedWorkers(supervisor, store, logger, app.webSockets))

  let front: FrontListeners | null = null
  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ops.readiness.state = 'draining'
      clearInterval(gc)
      clearInterval(orphanSweep)
      // Stop taking requests and let in-flight ones finish, then stop every worker, then the store.
      await front?.close()
      await supervisor.close()
      await store.close()
    })()
    return closing
  }
  try {
    front = await listenFront({ config, app, logger, store, dispatcher: supervisor, ops, tls, stop: onStopRequest ?? (() => { void close() }) })
  } catch (err) {
    clearInterval(gc)
    clearInterval(orphanSweep)
    await supervisor.close()
    await store.close()
    throw err
  }
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  const loopback = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : host
  storeBase = `${tls ? 'https' : 'http'}://${loopback}:${addr.port}${config.basePath ?? ''}/_sessiond/store`
  ops.readiness.state = 'ready'
  return {
    app,
    url: front.url,
    supervisor,
    store,
    storeLocks,
    lineProtocol: front.lineProtocol,
    httpRedirect: front.httpRedirect,
    demo,
    ops,
    metricsUrl: front.metricsUrl,
    controlSocket: front.controlSocket,
    reload: () => reloader.reload(),
    close
  }
}
