// The supervisor keeps one dedicated worker per (session, realm).
//
//   dispatch ─▶ table.get(session, realm) ── live, gate open ──▶ worker.request()
//                   │ busy: wait in the worker's bounded queue (RequestGate)
//                   │ none
//                   └─▶ spawn: wait for a previous worker of the slot to finish
//                        stopping → resolve identity (store, cold path only)
//                        → a spare claimed, or a cold boot → entry.worker set → request
//   sweeper (idle, max lifetime, replaced by reload) / stopSession / close ─▶
//                        retire: out of the table first (so a new request spawns
//                        afresh), then stop in the background, hibernating
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { isDeepStrictEqual } from 'node:util'
import type { Logger } from 'pino'
import type { StopReason } from '@sessiond/worker-sdk/protocol'
import type { SessionStore } from '@sessiond/session-store'
import { sessionHash } from '@sessiond/worker-sdk'
import type { WorkerRealm } from './config.ts'
import { CrashBackoff, DEFAULT_CRASH_BACKOFF } from './crash-backoff.ts'
import type { CrashBackoffOptions } from './crash-backoff.ts'
import {
  RunAsNeedsRootError, SessionNotFoundError, SparesNeedBootableKindError, SupervisorClosedError, UnknownRealmError,
  WorkerBackoffError, WorkerExitedError, WorkerLimitError, withRetryAfter
} from './errors.ts'
import { makeRoom } from './worker-limits.ts'
import type { WorkerLimits } from './worker-limits.ts'
import { resolveSpawnIdentity } from './spawn-identity.ts'
import { HibernationStore } from './hibernation-store.ts'
import { storeSessionData } from './store-session-data.ts'
import { LifecycleSweeper } from './lifecycle-sweeper.ts'
import type { StopPolicy } from './lifecycle-sweeper.ts'
import { MemoryWatchdog } from './memory-watchdog.ts'
import type { Watched } from './memory-watchdog.ts'
import { execHeaders, execSpawn } from './kinds/exec.ts'
import { HttpChildWorker } from './kinds/http-child.ts'
import { processBoot, processClaim } from './kinds/process.ts'
import { ThreadWorker } from './kinds/thread.ts'
import { RequestGate } from './request-gate.ts'
import { SparePool } from './spare-pool.ts'
import type { Spare, SpareCounts } from './spare-pool.ts'
import { createEndpoint } from './worker-endpoint.ts'
import type { Hibernated, Identity, WorkerInstance, WorkerRequest, WorkerResponse } from './worker-instance.ts'
import { WorkerTable } from './worker-table.ts'
import type { WorkerEntry } from './worker-table.ts'

/** How often child workers with `maxRssMb` have their memory sampled. */
const MEMORY_SAMPLE_MS = 500
/** How often workers left over from a reload are looked at until they have all gone. */
const DRAIN_SWEEP_MS = 50

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

/** What a reconfigure changed, by realm name. */
export interface ReconfigureSummary {
  added: string[]
  changed: string[]
  removed: string[]
}

export interface SupervisorStats {
  workers: number
  byRealm: Record<string, number>
  /** Requests waiting in workers' queues. */
  queued: number
  /** Per realm with spares: ready, booting, and failed so far. */
  spares: Record<string, SpareCounts>
  spawned: number
  /** Stopped for being idle. */
  reaped: number
  /** Stopped for their maximum lifetime, or replaced by a reload. */
  recycled: number
  crashed: number
  /** Workers that began as a spare. */
  claimedSpares: number
}

export class Supervisor {
  #realms: Map<string, WorkerRealm>
  #store: SessionStore
  #log: Logger
  #table = new WorkerTable()
  #sweeper: LifecycleSweeper
  #spares: SparePool
  #watchdog: MemoryWatchdog
  #closed = false
  #hibernation: HibernationStore
  #backoff: CrashBackoff
  #limits: WorkerLimits
  #storeUrl: ((sessionId: string) => string | undefined) | undefined
  #runDirOption: string | undefined
  #runDirReady: Promise<string> | null = null
  #drainTimer: NodeJS.Timeout | null = null
  #counts = { spawned: 0, reaped: 0, crashed: 0, recycled: 0, claimedSpares: 0 }

  constructor ({ realms, store, logger, crashBackoff = DEFAULT_CRASH_BACKOFF, runDir, limits = {}, storeUrl }: SupervisorOptions) {
    this.#storeUrl = storeUrl
    this.#runDirOption = runDir
    this.#limits = limits
    Supervisor.#check(realms)
    this.#realms = new Map(realms.map(r => [r.name, r]))
    this.#store = store
    this.#log = logger
    this.#hibernation = new HibernationStore(store)
    this.#backoff = new CrashBackoff(crashBackoff)
    this.#sweeper = new LifecycleSweeper(this.#table, this.#due, (entry, reason) => {
      if (reason === 'idle') this.#counts.reaped++
      else this.#counts.recycled++
      void this.#retire(entry, reason)
    }, Supervisor.#sweepPeriod(realms))
    this.#spares = new SparePool((realm, onExit) => this.#bootSpare(realm, onExit), logger.child({ component: 'spares' }))
    this.#spares.sync(realms)
    this.#watchdog = new MemoryWatchdog(() => this.#memoryTargets(), MEMORY_SAMPLE_MS)
  }

  static #check (realms: readonly WorkerRealm[]): void {
    const needsRoot = realms.find(r => r.runAs !== undefined && r.kind !== 'thread')
    if (needsRoot && process.getuid?.() !== 0) throw new RunAsNeedsRootError(needsRoot.name)
    const sparesExec = realms.find(r => r.spares > 0 && r.kind === 'exec')
    if (sparesExec) throw new SparesNeedBootableKindError(sparesExec.name)
  }

  static #sweepPeriod (realms: readonly WorkerRealm[]): number {
    return LifecycleSweeper.period(realms.flatMap(r => [r.idleTimeout, r.maxLifetime]))
  }

  /** Why a live, unoccupied worker should stop now. */
  #due: StopPolicy = (entry, worker, now) => {
    const realm = this.#realms.get(entry.realm)
    // A reload changed or removed its realm: it drained, it goes.
    if (realm !== entry.config) return 'replaced'
    if (now - worker.lastActivity >= realm.idleTimeout) return 'idle'
    if (realm.maxLifetime > 0 && now - entry.startedAt >= realm.maxLifetime) return 'replaced'
    return null
  }

  /**
   * Applies a re-read config (SIGHUP). New workers follow the new realm
   * definitions at once; a live worker of a changed or removed realm goes on
   * serving its session until it is next idle between requests, then stops
   * (hibernating, so its session resumes in a worker of the new definition).
   * Throws, changing nothing, when the new realms cannot run here.
   */
  reconfigure (realms: readonly WorkerRealm[]): ReconfigureSummary {
    Supervisor.#check(realms)
    const next = new Map<string, WorkerRealm>()
    const summary: ReconfigureSummary = { added: [], changed: [], removed: [] }
    for (const r of realms) {
      const old = this.#realms.get(r.name)
      // An unchanged realm keeps its object: its workers and spares are not stale.
      if (old && isDeepStrictEqual(old, r)) next.set(r.name, old)
      else {
        next.set(r.name, r)
        summary[old ? 'changed' : 'added'].push(r.name)
      }
    }
    for (const name of this.#realms.keys()) if (!next.has(name)) summary.removed.push(name)
    this.#realms = next
    this.#spares.sync(next.values())
    this.#sweeper.reschedule(Supervisor.#sweepPeriod(realms))
    this.#drainStale()
    return summary
  }

  /** Sweeps often while workers of replaced definitions remain, so each goes as soon as its requests end. */
  #drainStale (): void {
    if (this.#drainTimer) return
    const tick = () => {
      this.#sweeper.sweep()
      for (const e of this.#table.entries()) if (e.config !== this.#realms.get(e.realm)) return
      clearInterval(this.#drainTimer!)
      this.#drainTimer = null
    }
    this.#drainTimer = setInterval(tick, DRAIN_SWEEP_MS).unref()
    tick()
  }

  /** True when the session has a live worker for the realm: proof enough that the session is valid. */
  hasWorker (sessionId: string, realm: string): boolean {
    return this.#table.get(sessionId, realm)?.worker != null
  }

  dispatch (req: DispatchRequest): Promise<WorkerResponse> {
    const entry = this.#table.get(req.sessionId, req.realm)
    const worker = entry?.worker
    // The hot path: a live worker with room, no awaits before the message is posted.
    if (worker && entry!.gate.tryEnter()) return Supervisor.#send(entry!.gate, worker, req)
    return this.#dispatchSlow(req)
  }

  /** The request through an admitted slot of the gate, which it gives back once the response is over. */
  static #send (gate: RequestGate, worker: WorkerInstance, req: WorkerRequest): Promise<WorkerResponse> {
    return worker.request(req).then((res) => {
      const body = res.body
      if (body !== null && !(body instanceof Uint8Array)) (body as Readable).once('close', () => gate.leave())
      else gate.leave()
      return res
    }, (err: unknown) => {
      gate.leave()
      throw err
    })
  }

  async #dispatchSlow (req: DispatchRequest): Promise<WorkerResponse> {
    // Each turn either takes a slot, waits in the queue, or starts a worker;
    // a turn repeats only when the worker it waited for went away meanwhile.
    for (let turn = 0; turn < 3; turn++) {
      if (this.#closed) throw new SupervisorClosedError()
      let entry = this.#table.get(req.sessionId, req.realm)
      if (!entry) {
        const realm = this.#realms.get(req.realm)
        if (!realm) throw new UnknownRealmError(req.realm)
        const wait = this.#backoff.wait(WorkerTable.key(req.sessionId, req.realm))
        if (wait > 0) throw withRetryAfter(new WorkerBackoffError(req.realm), wait / 1000)
        entry = this.#spawn(req, realm)
      }
      const worker = entry.worker ?? await entry.ready
      if (entry.gate.tryEnter()) return Supervisor.#send(entry.gate, worker, req)
      if (!await entry.gate.wait()) continue
      if (this.#table.get(req.sessionId, req.realm) === entry && entry.worker === worker) return Supervisor.#send(entry.gate, worker, req)
      entry.gate.leave()
    }
    throw new WorkerExitedError(req.realm)
  }

  #spawn (req: DispatchRequest, realm: WorkerRealm): WorkerEntry {
    const { sessionId } = req
    const entry: WorkerEntry = {
      sessionId,
      realm: realm.name,
      config: realm,
      gate: new RequestGate(realm.name, realm.concurrency, realm.queue, realm.queueTimeout),
      startedAt: 0,
      ready: null as unknown as Promise<WorkerInstance>,
      worker: null
    }
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
        if (this.#table.delete(entry)) entry.gate.close()
      }
      const resume = realm.kind === 'exec' ? undefined : await this.#hibernation.load(sessionId, realm.name, log)
      const spare = this.#spares.take(realm)
      const worker = await this.#start(realm, identity, log, onExit, resume, spare)
      if (spare) this.#counts.claimedSpares++
      this.#counts.spawned++
      // Logout or shutdown may have retired the slot while the worker started.
      if (this.#closed || !this.#table.delete(entry)) {
        await worker.stop(this.#closed ? 'shutdown' : 'logout')
        throw this.#closed ? new SupervisorClosedError() : new SessionNotFoundError()
      }
      entry.worker = worker
      entry.startedAt = Date.now()
      this.#table.add(entry)
      // The state is consumed: a later crash must not resume from it again.
      if (resume) await this.#hibernation.clear(sessionId, realm.name, log)
      log.debug({ resumed: resume !== undefined, spare: spare !== undefined }, 'worker started')
      return worker
    })()
    entry.ready.catch(() => this.#table.delete(entry))
    this.#table.add(entry)
    return entry
  }

  /** A worker for the session: the spare claimed when there is one, else booted and claimed now. */
  async #start (realm: WorkerRealm, identity: Identity, log: Logger, onExit: (err: Error) => void, resume: Hibernated | undefined, spare: Spare | undefined): Promise<WorkerInstance> {
    if (realm.kind === 'thread') {
      const claim = { identity, store: storeSessionData(this.#store, identity.sessionId), logger: log, onExit, resume }
      if (!spare) return ThreadWorker.start({ realm, logger: log, onExit }, claim)
      await (spare as ThreadWorker).claim(claim)
      return spare
    }
    const runAs = realm.runAs ? await resolveSpawnIdentity(realm.runAs, identity.user) : undefined
    const endpoint = await createEndpoint(await this.#runDir(), realm.listen, runAs)
    const storeUrl = this.#storeUrl?.(identity.sessionId)
    if (realm.kind === 'exec') {
      return HttpChildWorker.start(
        { realm, spawn: execSpawn(realm, identity, endpoint, storeUrl, runAs), logger: log, onExit },
        { endpoint, headers: execHeaders(identity), logger: log, onExit })
    }
    const worker = (spare as HttpChildWorker | undefined) ?? await HttpChildWorker.boot({ realm, spawn: processBoot(realm, await this.#runDir(), this.#log.level), logger: log, onExit })
    await worker.claim({ endpoint, headers: [], logger: log, onExit, message: processClaim(realm, identity, endpoint, storeUrl, runAs, resume) })
    return worker
  }

  async #bootSpare (realm: WorkerRealm, onExit: (err: Error) => void): Promise<Spare> {
    const logger = this.#log.child({ realm: realm.name, spare: true })
    if (realm.kind === 'thread') return ThreadWorker.boot({ realm, logger, onExit, spare: true })
    return HttpChildWorker.boot({ realm, spawn: processBoot(realm, await this.#runDir(), this.#log.level, true), logger, onExit })
  }

  * #memoryTargets (): Iterable<Watched> {
    for (const entry of this.#table.entries()) {
      const w = entry.worker
      const limitMb = entry.config.maxRssMb
      if (limitMb === undefined || !(w instanceof HttpChildWorker)) continue
      yield { pid: w.pid, limitMb, kill: (mb) => w.killForMemory(mb) }
    }
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
    // Anyone queued for this worker dispatches again, to its successor.
    entry.gate.close()
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

  /** The sessions that have a worker, starting or live: for checking them against the store. */
  sessions (): string[] {
    const ids = new Set<string>()
    for (const e of this.#table.entries()) ids.add(e.sessionId)
    return [...ids]
  }

  /** Stops every worker of a session (logout, expiry, destroy). */
  async stopSession (sessionId: string, reason: StopReason = 'logout'): Promise<void> {
    await Promise.all(this.#table.ofSession(sessionId).map(e => this.#retire(e, reason)))
  }

  stats (): SupervisorStats {
    const byRealm: Record<string, number> = {}
    for (const r of this.#realms.keys()) byRealm[r] = 0
    let queued = 0
    for (const e of this.#table.entries()) {
      if (e.worker && byRealm[e.realm] !== undefined) byRealm[e.realm]++
      queued += e.gate.queued
    }
    return { workers: this.#table.size, byRealm, queued, spares: this.#spares.counts(), ...this.#counts }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#sweeper.close()
    this.#watchdog.close()
    if (this.#drainTimer) clearInterval(this.#drainTimer)
    const entries = [...this.#table.entries()]
    await Promise.all([...entries.map(e => this.#retire(e, 'shutdown')), this.#spares.close()])
    await this.#table.allStopped()
    if (this.#runDirReady && this.#runDirOption === undefined) await rm(await this.#runDirReady, { recursive: true, force: true })
  }
}
