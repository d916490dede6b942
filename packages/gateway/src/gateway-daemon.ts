// `sessiond gateway`: TLS, login, cookies and realm matching for a cluster,
// with no workers of its own: every realm request goes to the supervisor
// host its placement names (ClusterDispatcher). A gateway keeps nothing but
// caches: placements and sessions live in Redis, so a gateway restart loses
// no route, and several gateways behind one front server serve the same
// sessions (they share the cookie key file).
import { mkdir } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { HttpLockTable, openStore } from '@sessiond/session-store'
import type { RedisStore } from '@sessiond/session-store'
import { CallSigner, ClusterDispatcher, GATEWAY_ROLE } from '@sessiond/supervisor'
import { readClusterAuth } from './cluster-auth-files.ts'
import type { Config, ConfigOverrides } from './config.ts'
import { ConfigReloader } from './config-reload.ts'
import type { ReloadSummary } from './config-reload.ts'
import { loadCookieKeys } from './cookie-key.ts'
import { ensureDemoUser } from './demo-user.ts'
import { ConfigError } from './errors.ts'
import { listenFront, readTlsFile } from './front-listeners.ts'
import type { FrontListeners } from './front-listeners.ts'
import { closeOrphanedSockets } from './orphan-sweep.ts'
import { ORPHAN_SWEEP_EVERY_MS, every } from './upkeep.ts'
import { RunningConfig } from './running-config.ts'
import { buildServer, gatewayOps } from './server.ts'
import type { GatewayOps } from './server.ts'
import { TimedStore } from './metrics/timed-store.ts'
import { storeTokenKey } from './store-token-key.ts'
import { openUserDirectory } from './user-source.ts'
import { UsersFile } from './users-file.ts'

export interface GatewayDaemon {
  app: FastifyInstance
  url: string
  dispatcher: ClusterDispatcher
  store: RedisStore
  demo: { user: string, password: string | null } | null
  ops: GatewayOps
  metricsUrl: string | null
  controlSocket: string | null
  reload (): Promise<ReloadSummary>
  close (): Promise<void>
}

export interface GatewayDaemonOptions {
  /** `sessiond stop` over the control socket: what stopping means here (the CLI: SIGTERM's graceful path). Default: close(). */
  onStopRequest?: () => void
}

export async function startGatewayDaemon (config: Config, logger: Logger, overrides: ConfigOverrides = {}, { onStopRequest }: GatewayDaemonOptions = {}): Promise<GatewayDaemon> {
  const cluster = config.cluster
  if (!cluster) throw new ConfigError(`invalid config ${config.file}:\n  /cluster: expected a cluster section for sessiond gateway, got nothing`)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const [cookieKey, ...previousCookieKeys] = await loadCookieKeys(config.dataDir)
  const tls = config.tls && { cert: await readTlsFile(config.tls.cert), key: await readTlsFile(config.tls.key) }
  const auth = await readClusterAuth(cluster, GATEWAY_ROLE)
  const users = openUserDirectory(config)
  // The stand-in hash for unknown users is ready before the first login, as in the daemon.
  await users.prepare()
  const demo = config.users.demo && users instanceof UsersFile ? await ensureDemoUser(users, config.users.demo, config.dataDir, config.realms) : null
  const store = await openStore({ kind: 'redis', url: config.store.url, dataDir: config.dataDir, idleMs: config.session.idleTimeout, warn: (message) => logger.warn(message) }) as RedisStore
  // Reads wait up to half a lease; membership renewals have their own, shorter deadline (membership.ts).
  const directory = await store.directory({ commandTimeoutMs: Math.max(500, Math.floor(cluster.lease / 2)) })
  const dispatcher = new ClusterDispatcher({
    directory,
    signer: new CallSigner(auth),
    logger: logger.child({ component: 'cluster' }),
    holdMs: cluster.hold,
    leaseMs: cluster.lease,
    requestTimeoutMs: config.limits.requestTimeout,
    realms: config.realms
  })
  const running = new RunningConfig(config)
  const reloader = new ConfigReloader({ running, overrides, dispatcher, logger: logger.child({ component: 'config' }) })
  // Every store operation timed, for sessiond_store_operation_duration_seconds, as in the daemon.
  const timed = new TimedStore(store)
  const ops = gatewayOps({ config, store: timed, dispatcher, reload: () => reloader.reload() })
  const app = await buildServer({
    config: running.view, logger, store: timed, dispatcher, users, cookieKey, previousCookieKeys, tls, storeTokenKey: storeTokenKey(cookieKey), storeLocks: new HttpLockTable(store), ops
  })

  const socketSweep = every(ORPHAN_SWEEP_EVERY_MS, 'checking parked sockets against the store', logger, () => closeOrphanedSockets(store, app.webSockets, logger))

  let front: FrontListeners | null = null
  let closing: Promise<void> | null = null
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ops.readiness.state = 'draining'
      clearInterval(socketSweep)
      // In-flight requests finish (their supervisors are elsewhere and stay up), then the connections close.
      await front?.close()
      await dispatcher.close()
      await directory.close()
      await store.close()
    })()
    return closing
  }
  const abandon = async () => {
    clearInterval(socketSweep)
    await dispatcher.close()
    await directory.close()
    await store.close()
  }
  try {
    await dispatcher.start()
  } catch (err) {
    await app.close()
    await abandon()
    throw err
  }
  try {
    // listenFront closes the app when it fails.
    front = await listenFront({ config, app, logger, store: timed, dispatcher, ops, tls, stop: onStopRequest ?? (() => { void close() }) })
  } catch (err) {
    await abandon()
    throw err
  }
  ops.readiness.state = 'ready'
  return {
    app,
    url: front.url,
    dispatcher,
    store,
    demo,
    ops,
    metricsUrl: front.metricsUrl,
    controlSocket: front.controlSocket,
    reload: () => reloader.reload(),
    close
  }
}
