// `sessiond supervisor`: one host's workers in a cluster, no gateway.
//
//   gateways ── HTTP(S), cluster.auth ──▶ DispatchServer (cluster.listen) ──▶ ClusterSupervisor
//                                                                              │  workers
//   process / exec workers ── HTTP, loopback, a token per worker ──▶ this host's store API
//   Redis: the store (session ends stop workers here), membership, placements
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import Fastify from 'fastify'
import type { AddressInfo } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import { HttpLockTable, openStore, storeHttpApi, storeToken } from '@sessiond/session-store'
import type { RedisStore, WriteFence } from '@sessiond/session-store'
import { CallVerifier, ClusterSupervisor, DispatchServer, SUPERVISOR_ROLE } from '@sessiond/supervisor'
import { readClusterAuth } from './cluster-auth-files.ts'
import type { Config, ConfigOverrides } from './config.ts'
import { ConfigReloader } from './config-reload.ts'
import type { ReloadSummary } from './config-reload.ts'
import { ConfigError } from './errors.ts'
import { assertHandlersLoad } from './handler-preflight.ts'
import { stopOrphanedWorkers } from './orphan-sweep.ts'
import { ORPHAN_SWEEP_EVERY_MS, collectExpiredSessions, every } from './upkeep.ts'
import { RunningConfig } from './running-config.ts'

export interface SupervisorDaemon {
  hostId: string
  /** The URL gateways reach this host at (cluster.advertise, or its listener). */
  url: string
  supervisor: ClusterSupervisor
  store: RedisStore
  reload (): Promise<ReloadSummary>
  close (): Promise<void>
}

/** A config problem in the file's own words: the file, the key, what was expected. */
function invalid (config: Config, key: string, what: string): Error {
  return new ConfigError(`invalid config ${config.file}:\n  ${key}: ${what}`)
}

export async function startSupervisorDaemon (config: Config, logger: Logger, overrides: ConfigOverrides = {}): Promise<SupervisorDaemon> {
  const cluster = config.cluster
  if (!cluster) throw invalid(config, '/cluster', 'expected a cluster section for sessiond supervisor, got nothing')
  const hostId = cluster.host
  if (!hostId) throw invalid(config, '/cluster/host', 'expected this host\'s id (or --host, SESSIOND_HOST), got nothing')
  const at = cluster.listen.lastIndexOf(':')
  const listenHost = cluster.listen.slice(0, at).replace(/^\[|\]$/g, '')
  const scheme = cluster.auth.mode === 'mtls' ? 'https' : 'http'
  if (cluster.advertise === undefined && (listenHost === '0.0.0.0' || listenHost === '::')) {
    throw invalid(config, '/cluster/advertise', `expected the URL gateways reach this host at (or --advertise, SESSIOND_ADVERTISE) when cluster.listen is ${cluster.listen}, got nothing`)
  }
  if (cluster.advertise !== undefined && !cluster.advertise.startsWith(`${scheme}://`)) {
    throw invalid(config, '/cluster/advertise', `expected a ${scheme}:// URL with cluster.auth.mode ${cluster.auth.mode}, got ${JSON.stringify(cluster.advertise)}`)
  }
  // A handler that cannot resolve its imports stops start-up, naming the module, not its first request.
  await assertHandlersLoad(config.realms)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const auth = await readClusterAuth(cluster, SUPERVISOR_ROLE, hostId)
  const log = logger.child({ host: hostId })
  const store = await openStore({ kind: 'redis', url: config.store.url, dataDir: config.dataDir, idleMs: config.session.idleTimeout, warn: (message) => log.warn(message) }) as RedisStore
  // Reads wait up to half a lease; membership renewals have their own, shorter deadline (membership.ts).
  const directory = await store.directory({ commandTimeoutMs: Math.max(500, Math.floor(cluster.lease / 2)) })

  // Process and exec workers reach their session's data through this host, never a gateway: a
  // store API on loopback whose tokens (a key of this process's own) name one worker each, and
  // whose writes carry that worker's placement fence.
  const tokenKey = randomBytes(32)
  const holders = new Map<string, WriteFence | undefined>()
  const storeApp = Fastify({ loggerInstance: log.child({ component: 'store-api' }) as FastifyBaseLogger, disableRequestLogging: true })
  const locks = new HttpLockTable(store)
  await storeApp.register(storeHttpApi, {
    prefix: '/_sessiond/store',
    store,
    tokenKey,
    locks,
    // A token of a worker that is gone, or none of ours, writes nothing.
    fenceOf: (holder) => holder !== undefined && holders.has(holder) ? holders.get(holder) : null
  })
  await storeApp.listen({ host: '127.0.0.1', port: 0 })
  const storeBase = `http://127.0.0.1:${(storeApp.server.address() as AddressInfo).port}/_sessiond/store`

  const supervisor = new ClusterSupervisor({
    realms: config.realms,
    store,
    logger: log.child({ component: 'supervisor' }),
    stateDir: config.dataDir,
    directory,
    hostId,
    capacity: cluster.capacity,
    leaseMs: cluster.lease,
    moveWaitMs: cluster.moveWait,
    // A host taking over many sessions at once boots them a few at a time: its lease renewals and answers keep a share of the cores.
    bootConcurrency: Math.max(2, availableParallelism()),
    storeAccess: (sid, fence) => {
      const holder = randomUUID()
      holders.set(holder, fence)
      return {
        url: storeBase.replace('://', `://session:${storeToken(tokenKey, sid, holder)}@`),
        release: () => {
          holders.delete(holder)
          locks.dropHolder(holder).catch(err => log.warn({ err }, 'dropping a stopped worker\'s locks failed'))
        }
      }
    }
  })
  // A logout, an expiry or a regenerate_id served anywhere ends this host's workers of that id.
  store.onSessionEnd(id => {
    supervisor.stopSession(id, 'logout').catch(err => log.error({ err }, 'stopping the workers of an ended session failed'))
  })
  store.onDataLost(() => {
    log.warn('the session store lost data: stopping the workers of sessions it no longer has')
    stopOrphanedWorkers(supervisor, store, log).catch(err => log.warn({ err }, 'checking live workers against the store failed'))
  })
  const gc = collectExpiredSessions(store, log)
  const orphanSweep = every(ORPHAN_SWEEP_EVERY_MS, 'checking live workers against the store', log, () => stopOrphanedWorkers(supervisor, store, log))

  let server: DispatchServer | undefined
  let url: string
  try {
    server = await DispatchServer.listen({
      dispatcher: supervisor,
      verifier: new CallVerifier(auth),
      host: listenHost,
      port: Number(cluster.listen.slice(at + 1)),
      logger: log.child({ component: 'dispatch' }),
      // A gateway passes on its clients' heads, and adds its call.
      maxHeaderSize: config.limits.maxHeaderSize + 16 * 1024
    })
    url = cluster.advertise ?? `${scheme}://${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${server.port}`
    await supervisor.start(url)
  } catch (err) {
    clearInterval(gc)
    clearInterval(orphanSweep)
    await server?.close()
    await supervisor.close().catch(() => {})
    await storeApp.close()
    await directory.close()
    await store.close()
    throw err
  }
  log.info({ url }, 'supervisor serving gateways')
  const running = new RunningConfig(config)
  const reloader = new ConfigReloader({ running, overrides, dispatcher: supervisor, logger: log.child({ component: 'config' }) })
  let closing: Promise<void> | null = null
  return {
    hostId,
    url,
    supervisor,
    store,
    reload: () => reloader.reload(),
    close () {
      closing ??= (async () => {
        clearInterval(gc)
        clearInterval(orphanSweep)
        // Its sessions move to other hosts first (requests keep arriving meanwhile, and are held for
        // the new hosts), then the lease ends, then the listener stops.
        await supervisor.close()
        await server!.close()
        await storeApp.close()
        await directory.close()
        await store.close()
      })()
      return closing
    }
  }
}
