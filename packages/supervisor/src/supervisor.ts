// The supervisor keeps one dedicated worker per (session, realm).
//
//   dispatch ─▶ table.get(session, realm) ── live ──▶ worker.request()
//                   │ none
//                   └─▶ spawn: wait for a previous worker of the slot to finish
//                        stopping → resolve identity (store, cold path only)
//                        → kind.start() → entry.worker set → request
//   idle reaper / stopSession / close ─▶ retire: out of the table first (so a
//                        new request spawns afresh), then stop in the background
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { StopReason } from '@sessiond/worker-sdk/protocol'
import { scopeOf } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import { sessionHash } from '@sessiond/worker-sdk'
import type { WorkerRealm } from './config.ts'
import { CrashBackoff, DEFAULT_CRASH_BACKOFF } from './crash-backoff.ts'
import type { CrashBackoffOptions } from './crash-backoff.ts'
import { RunAsNeedsRootError, SessionNotFoundError, SupervisorClosedError, UnknownRealmError, WorkerBackoffError, WorkerLimitError, withRetryAfter } from './errors.ts'
import { makeRoom } from './worker-limits.ts'
import type { WorkerLimits } from './worker-limits.ts'
import { resolveSpawnIdentity } from './spawn-identity.ts'
import { HibernationStore } from './hibernation-store.ts'
import { IdleReaper } from './idle-reaper.ts'
import { execSpec } from './kinds/exec.ts'
import { HttpChildWorker } from './kinds/http-child.ts'
import { processSpec } from './kinds/process.ts'
import { ThreadWorker } from './kinds/thread.ts'
import { createEndpoint } from './worker-endpoint.ts'
import type { Hibernated, Identity, WorkerInstance, WorkerRequest, WorkerResponse } from './worker-instance.ts'
import { WorkerTable } from './worker-table.ts'
import type { WorkerEntry } from './worker-table.ts'

export interface SupervisorOptions {
  realms: readonly WorkerRealm[]
  store: SessionStore
  logger: Logger
  /** When a slot whose worker keeps crashing waits before it may start another. */
  crashBackoff?: CrashBackoffOptions
  /** Where process and exec workers get their private socket directories (default: a fresh one under the temp dir). */
  runDir?: string
  limits?: WorkerLimits
  /** The store HTTP API's URL for one session, token included, for process and exec workers. */
  storeUrl?: (sessionId: string) => string | undefined
}

export interface DispatchRequest extends WorkerRequest {
  sessionId: string
  realm: string
  /** Who the session belongs to, or null if it does not exist; called only when a worker must be started. */
  identity: (sessionId: string) => Promise<Identity | null>
}

export interface SupervisorStats {
  workers: number
  byRealm: Record<string, number>
  spawned: number
  reaped: number
  crashed: number
}

export class Supervisor {
  #realms: Map<string, WorkerRealm>
  #store: SessionStore
  #log: Logger
  #table = new WorkerTable()
  #reaper: IdleReaper
  #closed = false
  #hibernation: HibernationStore
  #backoff: CrashBackoff
  #limits: WorkerLimits
  #storeUrl: ((sessionId: string) => string | undefined) | undefined
  #runDirOption: string | undefined
  #runDirReady: Promise<string> | null = null
  #counts = { spawned: 0, reaped: 0, crashed: 0 }

  constructor ({ realms, store, logger, crashBackoff = DEFAULT_CRASH_BACKOFF, runDir, limits = {}, storeUrl }: SupervisorOptions) {
    this.#storeUrl = storeUrl
    this.#runDirOption = runDir
    this.#limits = limits
    const needsRoot = realms.find(r => r.runAs !== undefined && r.kind !== 'thread')
    if (needsRoot && process.getuid?.() !== 0) throw new RunAsNeedsRootError(needsRoot.name)
    this.#realms = new Map(realms.map(r => [r.name, r]))
    this.#store = store
    this.#log = logger
    this.#hibernation = new HibernationStore(store)
    this.#backoff = new CrashBackoff(crashBackoff)
    this.#reaper = new IdleReaper(
      this.#table,
      (realm) => this.#realms.get(realm)?.idleTimeout ?? 0,
      (entry) => { this.#counts.reaped++; this.#retire(entry, 'idle') },
      IdleReaper.period(realms.map(r => r.idleTimeout))
    )
  }

  /** True when the session has a live worker for the realm: proof enough that the session is valid. */
  hasWorker (sessionId: string, realm: string): boolean {
    return this.#table.get(sessionId, realm)?.worker != null
  }

  dispatch (req: DispatchRequest): Promise<WorkerResponse> {
    const worker = this.#table.get(req.sessionId, req.realm)?.worker
    // The hot path: a live worker, no awaits before the message is posted.
    if (worker) return worker.request(req)
    return this.#dispatchCold(req)
  }

  async #dispatchCold (req: DispatchRequest): Promise<WorkerResponse> {
    if (this.#closed) throw new SupervisorClosedError()
    const realm = this.#realms.get(req.realm)
    if (!realm) throw new UnknownRealmError(req.realm)
    const wait = this.#backoff.wait(WorkerTable.key(req.sessionId, req.realm))
    if (wait > 0) throw withRetryAfter(new WorkerBackoffError(req.realm), wait / 1000)
    const entry = this.#table.get(req.sessionId, req.realm) ?? this.#spawn(req, realm)
    const worker = await entry.ready
    return worker.request(req)
  }

  #spawn (req: DispatchRequest, realm: WorkerRealm): WorkerEntry {
    const { sessionId } = req
    const entry: WorkerEntry = { sessionId, realm: realm.name, ready: null as unknown as Promise<WorkerInstance>, worker: null }
    entry.ready = (async () => {
      await this.#table.stopped(sessionId, realm.name)
      const identity = await req.identity(sessionId)
      if (!identity || identity.sessionId !== sessionId) throw new SessionNotFoundError()
      entry.user = identity.user
      const room = makeRoom(this.#table.entries(), entry, this.#limits, realm.maxWorkers)
      if (room.full) throw withRetryAfter(new WorkerLimitError(room.full.scope, room.full.limit), 1)
      for (const victim of room.evict) void this.#retire(victim, 'idle')
      const log = this.#log.child({ realm: realm.name, session: sessionHash(sessionId) })
      const onExit = (err: Error) => {
        this.#counts.crashed++
        this.#backoff.record(WorkerTable.key(sessionId, realm.name))
        log.error({ err }, 'worker exited unexpectedly')
        this.#table.delete(entry)
      }
      let worker: WorkerInstance
      let resume: Hibernated | undefined
      if (realm.kind === 'thread') {
        resume = await this.#hibernation.load(sessionId, realm.name, log)
        worker = await ThreadWorker.start({ realm, identity, store: scopeOf(this.#store, sessionId), logger: log, resume, onExit })
      } else {
        const runAs = realm.runAs ? await resolveSpawnIdentity(realm.runAs, identity.user) : undefined
        const endpoint = await createEndpoint(await this.#runDir(), realm.listen, runAs)
        const storeUrl = this.#storeUrl?.(sessionId)
        const spec = realm.kind === 'exec' ? execSpec(realm, identity, endpoint, storeUrl, runAs) : processSpec(realm, identity, endpoint, this.#log.level, storeUrl, runAs)
        worker = await HttpChildWorker.start({ realm, endpoint, spec, logger: log, onExit })
      }
      this.#counts.spawned++
      // Logout or shutdown may have retired the slot while the worker started.
      if (this.#closed || !this.#table.delete(entry)) {
        await worker.stop(this.#closed ? 'shutdown' : 'logout')
        throw this.#closed ? new SupervisorClosedError() : new SessionNotFoundError()
      }
      entry.worker = worker
      this.#table.add(entry)
      // The state is consumed: a later crash must not resume from it again.
      if (resume) await this.#hibernation.clear(sessionId, realm.name, log)
      log.debug({ resumed: resume !== undefined }, 'worker started')
      return worker
    })()
    entry.ready.catch(() => this.#table.delete(entry))
    this.#table.add(entry)
    return entry
  }

  /**
   * The directory holding the workers' private directories: mode 0711, so a
   * worker running as another user can reach its own directory by path but
   * cannot list the others.
   */
  #runDir (): Promise<string> {
    this.#runDirReady ??= (async () => {
      const dir = this.#runDirOption ?? await mkdtemp(join(tmpdir(), 'sessiond-'))
      await mkdir(dir, { recursive: true })
      await chmod(dir, 0o711)
      return dir
    })()
    return this.#runDirReady
  }

  /** Takes the entry out of the table at once and stops its worker in the background. */
  #retire (entry: WorkerEntry, reason: StopReason): Promise<void> {
    if (!this.#table.delete(entry)) return Promise.resolve()
    const done = entry.ready.then(
      async (w) => {
        const hibernated = await w.stop(reason)
        if (hibernated) await this.#hibernation.save(entry.sessionId, entry.realm, hibernated, this.#log)
      },
      () => { /* never started: nothing to stop */ })
    this.#table.trackStop(entry.sessionId, entry.realm, done)
    // A session that logs out starts its next life without the old crash record.
    if (reason === 'logout') this.#backoff.forget(WorkerTable.key(entry.sessionId, entry.realm))
    return done
  }

  /** Stops every worker of a session (logout, expiry, destroy). */
  async stopSession (sessionId: string, reason: StopReason = 'logout'): Promise<void> {
    await Promise.all(this.#table.ofSession(sessionId).map(e => this.#retire(e, reason)))
  }

  stats (): SupervisorStats {
    const byRealm: Record<string, number> = {}
    for (const r of this.#realms.keys()) byRealm[r] = 0
    for (const e of this.#table.entries()) if (e.worker) byRealm[e.realm]++
    return { workers: this.#table.size, byRealm, ...this.#counts }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#reaper.close()
    const entries = [...this.#table.entries()]
    await Promise.all(entries.map(e => this.#retire(e, 'shutdown')))
    await this.#table.allStopped()
    if (this.#runDirReady && this.#runDirOption === undefined) await rm(await this.#runDirReady, { recursive: true, force: true })
  }
}
