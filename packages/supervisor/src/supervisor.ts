// The supervisor keeps one dedicated worker per (session, realm).
//
//   dispatch ─▶ table.get(session, realm) ── live, gate open ──▶ worker.request()
//                   │ busy: wait in the worker's bounded queue (RequestGate)
//                   │ none
//                   └─▶ spawn: wait for a previous worker of the slot to finish
//                        stopping → confirm the session in the store (cold path only)
//                        → a spare claimed, or a cold boot → entry.worker set → request
//   sweeper (idle, max lifetime, replaced by reload) / stopSession / close ─▶
//                        retire: out of the table first (so a new request spawns
//                        afresh), then stop in the background, hibernating
//   checkpointer ─▶ a live worker's state saved now and then, the worker going on
//   in a cluster (cluster/cluster-supervisor.ts): each worker serves one placement
//   epoch; the cold path confirms the placement (PlacementGuard) beside the
//   session; beginMove → moveOut (admitted requests finish, then it hibernates)
//   → endMove holds new requests off with SUP_ERR_MOVING while a slot moves
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { isDeepStrictEqual } from 'node:util'
import type { Logger } from 'pino'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { SessionStore } from '@sessiond/session-store'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import { WORKER_REALM_KEYS } from './config.ts'
import type { WorkerRealm } from './config.ts'
import { CrashBackoff, DEFAULT_CRASH_BACKOFF } from './crash-backoff.ts'
import type { CrashBackoffOptions } from './crash-backoff.ts'
import type {
  DispatchRequest, DispatchUpgrade, Dispatcher, DrainSummary, HostInfo, Identity, PlacementInfo, ReconfigureSummary, StartRequest, SupervisorStats,
  UpgradeResult, WorkerRequest, WorkerResponse
} from './dispatcher.ts'
import {
  MovingError, NotClusteredError, RealmInvalidError, SessionNotFoundError, SparesNeedBootableKindError, StaleEpochError, SupervisorClosedError,
  UnknownRealmError, WorkerBackoffError, WorkerExitedError, WorkerLimitError, WorkerNotFoundError, withRetryAfter
} from './errors.ts'
import { BootSlots } from './boot-slots.ts'
import { within } from './within.ts'
import { WORKER_STATES } from './operator-views.ts'
import type { RealmStatus, SupervisorStatus, WorkerAction, WorkerActionResult, WorkerFilter, WorkerInfo, WorkerState, WorkerTarget } from './operator-views.ts'
import { RealmCounters } from './realm-counters.ts'
import { makeRoom } from './worker-limits.ts'
import type { WorkerLimits } from './worker-limits.ts'
import { HibernationStore } from './hibernation-store.ts'
import { LifecycleSweeper } from './lifecycle-sweeper.ts'
import type { StopPolicy } from './lifecycle-sweeper.ts'
import { MemoryWatchdog } from './memory-watchdog.ts'
import type { Watched } from './memory-watchdog.ts'
import { workerKind, workerKinds } from './kinds/index.ts'
import { Checkpointer } from './checkpointer.ts'
import { TransientAccounts } from './transient-accounts.ts'
import { closeInheritedFds } from './inherited-fds.ts'
import { ChildRegistry } from './child-registry.ts'
import { KernelMemoryLimits } from './kernel-memory-limit.ts'
import type { KindHost, StoreAccess, Worker } from './kinds/worker-kind.ts'
import type { WriteFence } from '@sessiond/session-store'
import { RequestGate } from './request-gate.ts'
import { SparePool } from './spare-pool.ts'
import type { Spare } from './spare-pool.ts'
import { WorkerTable } from './worker-table.ts'
import type { WorkerEntry } from './worker-table.ts'

/** How often child workers with `maxRssMb` have their memory sampled. */
const MEMORY_SAMPLE_MS = 500
/** How often workers left over from a reload are looked at until they have all gone. */
const DRAIN_SWEEP_MS = 50

/** What a cluster's directory said of a slot when the supervisor confirmed it. */
export interface ConfirmedPlacement {
  /** Set when the slot was taken over from a host whose lease ran out: that host and when (Redis's clock). */
  failover?: { from: string, at: number }
  /** When its saved state was written, if it has one (ms). */
  savedAt?: number
}

/**
 * In a cluster, the placement directory's say on the cold path: a worker
 * starts only for a request whose epoch is the slot's current one on this
 * host (cluster/cluster-supervisor.ts).
 */
export interface PlacementGuard {
  /** Resolves when this host holds (session, realm) under `epoch`; throws a coded 421 (SUP_ERR_STALE_EPOCH, SUP_ERR_MOVING) otherwise. */
  confirm (sessionId: string, realm: string, epoch: number | undefined): Promise<ConfirmedPlacement>
}

export interface SupervisorOptions {
  realms: readonly WorkerRealm[]
  store: SessionStore
  logger: Logger
  /** When a slot whose worker keeps crashing waits before it may start another. */
  crashBackoff?: CrashBackoffOptions
  /** Where process and exec workers get their private socket directories (default: a fresh one under the temp dir). */
  runDir?: string
  limits?: WorkerLimits
  /**
   * For process and exec workers: the store HTTP API's URL for one session,
   * with a token for that session and that worker only, and what to do once
   * the worker is gone (drop the locks its token still holds).
   */
  storeAccess?: (sessionId: string, fence?: WriteFence) => StoreAccess | undefined
  /** The uids (and gids) lent to workers with `runAs: transient`: systemd's DynamicUser range by default. */
  transientRange?: { first: number, last: number }
  /**
   * A directory of the supervisor's own (the daemon's data directory): the
   * process groups of its child workers are recorded there, so that after a
   * crash the next supervisor kills what this one left.
   */
  stateDir?: string
  /** In a cluster: the placement directory's say on the cold path. */
  placement?: PlacementGuard
  /** The name this supervisor goes by in `hosts()` and `placement()` (default `local`). */
  hostId?: string
  /** At most this many workers booting at once (boot-slots.ts); no limit when absent. */
  bootConcurrency?: number
}

export class Supervisor implements Dispatcher {
  #realms: Map<string, WorkerRealm>
  #store: SessionStore
  #log: Logger
  #table = new WorkerTable()
  #sweeper: LifecycleSweeper
  #spares: SparePool
  #watchdog: MemoryWatchdog
  #checkpoints: Checkpointer
  #closed = false
  #hibernation: HibernationStore
  #backoff: CrashBackoff
  #limits: WorkerLimits
  #host: KindHost
  #runDirOption: string | undefined
  #runDirReady: Promise<string> | null = null
  #drainTimer: NodeJS.Timeout | null = null
  #startup: Promise<void>
  #counts = { spawned: 0, reaped: 0, crashed: 0, recycled: 0, claimedSpares: 0 }
  #guard: PlacementGuard | undefined
  #hostId: string
  /** Slots being moved to another host (cluster): their requests get SUP_ERR_MOVING until the move ends. */
  #moving = new Set<string>()
  #boots: BootSlots | null
  #realmCounts = new RealmCounters()
  /** What outlives a slot's worker, for operators: its user, restarts, and whether it hibernated. */
  #slots = new Map<string, SlotRecord>()
  /** Entries retired and still stopping, with the reason. */
  #retiring = new Map<WorkerEntry, StopReason>()
  readonly #startedAt = Date.now()

  constructor ({ realms, store, logger, crashBackoff = DEFAULT_CRASH_BACKOFF, runDir, limits = {}, storeAccess, transientRange, stateDir, placement, hostId = 'local', bootConcurrency }: SupervisorOptions) {
    this.#guard = placement
    this.#hostId = hostId
    this.#boots = bootConcurrency === undefined ? null : new BootSlots(bootConcurrency)
    this.#runDirOption = runDir
    this.#limits = limits
    Supervisor.#check(realms)
    const inherited = closeInheritedFds()
    if (inherited.length > 0) logger.info({ fds: inherited }, 'closed descriptors inherited from the launcher, so that no worker gets them')
    this.#realms = new Map(realms.map(r => [r.name, r]))
    this.#store = store
    this.#log = logger
    const children = stateDir === undefined ? null : new ChildRegistry(join(stateDir, 'workers.json'))
    const transientAccounts = new TransientAccounts(transientRange, (uid, leased) => children?.uid(uid, leased))
    this.#host = { store, runDir: () => this.#runDir(), storeAccess: (sid, fence) => storeAccess?.(sid, fence), logLevel: logger.level, logger, transientAccounts, children, memoryLimits: new KernelMemoryLimits() }
    // What a crashed predecessor left running goes before any worker of ours starts.
    this.#startup = (children?.reapLeftovers() ?? Promise.resolve(0)).then((reaped) => {
      if (reaped > 0) logger.warn({ reaped }, 'killed the workers a previous supervisor left running')
    }, (err: unknown) => logger.error({ err }, 'cleaning up after a previous supervisor failed'))
    this.#hibernation = new HibernationStore(store)
    this.#backoff = new CrashBackoff(crashBackoff)
    this.#sweeper = new LifecycleSweeper(this.#table, this.#due, (entry, reason) => {
      if (reason === 'idle') this.#counts.reaped++
      else this.#counts.recycled++
      void this.#retire(entry, reason)
    }, Supervisor.#sweepPeriod(realms))
    this.#syncKinds(realms)
    this.#spares = new SparePool((realm, onExit) => this.#bootSpare(realm, onExit), logger.child({ component: 'spares' }))
    this.#spares.sync(realms)
    this.#watchdog = new MemoryWatchdog(() => this.#memoryTargets(), MEMORY_SAMPLE_MS)
    // In a cluster a checkpoint is saved under the worker's epoch, like any save of it.
    this.#checkpoints = new Checkpointer(this.#table, async (entry, state) => { await this.#hibernation.save(entry.sessionId, entry.realm, state, this.#log, entry.epoch) })
    this.#checkpoints.reschedule(realms.map(r => r.checkpoint))
  }

  /** Refuses realms that cannot run here, before anything changes. */
  static #check (realms: readonly WorkerRealm[]): void {
    for (const realm of realms) {
      const kind = workerKind(realm.kind)
      const problems = kind.validate(realm)
      if (problems.length > 0) throw new RealmInvalidError(realm.name, problems.map(([key, what]) => `${key}: expected ${what}`).join('; '))
      kind.check(realm)
      if (realm.spares > 0 && !kind.boot) throw new SparesNeedBootableKindError(realm.name)
    }
  }

  /** Kinds with resources shared by their workers learn the current realm definitions. */
  #syncKinds (realms: readonly WorkerRealm[]): void {
    for (const kind of workerKinds()) kind.sync?.(realms, this.#host)
  }

  static #sweepPeriod (realms: readonly WorkerRealm[]): number {
    return LifecycleSweeper.period(realms.flatMap(r => [r.idleTimeout, r.socketIdleTimeout, r.maxLifetime]))
  }

  /** Why a live, unoccupied worker should stop now. */
  #due: StopPolicy = (entry, worker, now) => {
    const realm = this.#realms.get(entry.realm)
    // A reload changed or removed its realm: it drained, it goes.
    if (realm !== entry.config) return 'replaced'
    const idleTimeout = worker.sockets > 0 ? realm.socketIdleTimeout ?? realm.idleTimeout : realm.idleTimeout
    if (now - worker.lastActivity >= idleTimeout) return 'idle'
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
  reconfigure (realms: readonly WorkerRealm[]): Promise<ReconfigureSummary> {
    try {
      Supervisor.#check(realms)
    } catch (err) {
      return Promise.reject(err)
    }
    const next = new Map<string, WorkerRealm>()
    const summary: ReconfigureSummary = { added: [], changed: [], removed: [] }
    for (const r of realms) {
      const old = this.#realms.get(r.name)
      // A realm whose worker settings are unchanged keeps its object: its workers and spares are not stale.
      if (old && sameWorkerDefinition(old, r)) next.set(r.name, old)
      else {
        next.set(r.name, r)
        summary[old ? 'changed' : 'added'].push(r.name)
      }
    }
    for (const name of this.#realms.keys()) if (!next.has(name)) summary.removed.push(name)
    this.#realms = next
    this.#syncKinds([...next.values()])
    this.#spares.sync(next.values())
    this.#sweeper.reschedule(Supervisor.#sweepPeriod(realms))
    this.#checkpoints.reschedule(realms.map(r => r.checkpoint))
    this.#drainStale()
    return Promise.resolve(summary)
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
    const entry = this.#table.get(req.identity.sessionId, req.realm)
    const worker = entry?.worker
    // The hot path: a live worker of the request's placement with room, no awaits before the message is posted.
    if (worker && entry!.epoch === req.epoch && !entry!.moving && entry!.gate.tryEnter()) return Supervisor.#send(entry!.gate, worker, req)
    return this.#dispatchSlow(req, Supervisor.#send)
  }

  /** A handshake takes a slot of the worker's gate until it is answered; an open socket holds none. */
  upgrade (req: DispatchUpgrade): Promise<UpgradeResult> {
    return this.#dispatchSlow(req, Supervisor.#upgrade)
  }

  static #upgrade (gate: RequestGate, worker: Worker, req: DispatchUpgrade): Promise<UpgradeResult> {
    return Supervisor.#holding(gate, worker.upgrade(req), refusalOf)
  }

  /** The request through an admitted slot of the gate, which it gives back once the response is over. */
  static #send (gate: RequestGate, worker: Worker, req: WorkerRequest): Promise<WorkerResponse> {
    return Supervisor.#holding(gate, worker.request(req), itself)
  }

  /** Holds the gate's slot until the answer's streamed body is over (a whole one at once), and gives it back on failure. */
  static #holding<T> (gate: RequestGate, answer: Promise<T>, responseOf: (t: T) => WorkerResponse | null): Promise<T> {
    return answer.then((res) => {
      const body = responseOf(res)?.body ?? null
      if (body !== null && !(body instanceof Uint8Array)) (body as Readable).once('close', () => gate.leave())
      else gate.leave()
      return res
    }, (err: unknown) => {
      gate.leave()
      throw err
    })
  }

  async #dispatchSlow<R extends { identity: Identity, realm: string, epoch?: number }, T> (req: R, exchange: (gate: RequestGate, worker: Worker, req: R) => Promise<T>): Promise<T> {
    try {
      return await this.#dispatchWaiting(req, exchange)
    } catch (err) {
      // Counted here, off the hot path: a live worker with room never gets here.
      if (this.#realms.has(req.realm)) this.#realmCounts.of(req.realm).reject(err)
      throw err
    }
  }

  async #dispatchWaiting<R extends { identity: Identity, realm: string, epoch?: number }, T> (req: R, exchange: (gate: RequestGate, worker: Worker, req: R) => Promise<T>): Promise<T> {
    const { sessionId } = req.identity
    // Each turn either takes a slot, waits in the queue, or starts a worker;
    // a turn repeats only when the worker it waited for went away meanwhile.
    for (let turn = 0; turn < 3; turn++) {
      if (this.#closed) throw new SupervisorClosedError()
      if (this.#moving.has(WorkerTable.key(sessionId, req.realm))) throw new MovingError(req.realm)
      let entry = this.#table.get(sessionId, req.realm)
      if (entry && entry.epoch !== req.epoch) {
        // The gateway routed by an older placement than this worker's: it reads the placement again.
        if (req.epoch === undefined || (entry.epoch !== undefined && req.epoch < entry.epoch)) throw new StaleEpochError(req.realm)
        // A newer one: the slot moved away and back, and this worker is left from before; its writes are refused already.
        void this.#retire(entry, 'moved')
        entry = undefined
      }
      if (!entry) {
        const realm = this.#realms.get(req.realm)
        if (!realm) throw new UnknownRealmError(req.realm)
        const wait = this.#backoff.wait(WorkerTable.key(sessionId, req.realm))
        if (wait > 0) throw withRetryAfter(new WorkerBackoffError(req.realm), wait / 1000)
        entry = this.#spawn(req.identity, realm, req.epoch)
      }
      const worker = entry.worker ?? await entry.ready
      // A move began while this request waited for the worker to start: it goes to the new host.
      if (entry.moving) throw new MovingError(req.realm)
      if (entry.gate.tryEnter()) return exchange(entry.gate, worker, req)
      if (!await entry.gate.wait()) continue
      if (this.#table.get(sessionId, req.realm) === entry && entry.worker === worker && !entry.moving) return exchange(entry.gate, worker, req)
      entry.gate.leave()
    }
    throw new WorkerExitedError(req.realm)
  }

  /**
   * Starts the (session, realm)'s worker if it has none and waits until it is
   * ready, without a request: for a page that follows a slow start.
   */
  async startWorker ({ identity, realm: name, epoch }: StartRequest): Promise<'live' | 'started'> {
    if (this.#closed) throw new SupervisorClosedError()
    let entry = this.#table.get(identity.sessionId, name)
    if (entry?.worker) return 'live'
    if (!entry) {
      const realm = this.#realms.get(name)
      if (!realm) throw new UnknownRealmError(name)
      const wait = this.#backoff.wait(WorkerTable.key(identity.sessionId, name))
      if (wait > 0) throw withRetryAfter(new WorkerBackoffError(name), wait / 1000)
      entry = this.#spawn(identity, realm, epoch)
    }
    await entry.ready
    return 'started'
  }

  #spawn (identity: Identity, realm: WorkerRealm, epoch: number | undefined): WorkerEntry {
    const { sessionId } = identity
    const kind = workerKind(realm.kind)
    const counter = this.#realmCounts.of(realm.name)
    const key = WorkerTable.key(sessionId, realm.name)
    let slot = this.#slots.get(key)
    if (!slot) this.#slots.set(key, slot = { sessionId, realm: realm.name, user: identity.user, kind: realm.kind, restarts: 0, hibernatedAt: null })
    const history = slot
    const entry: WorkerEntry = {
      sessionId,
      realm: realm.name,
      config: realm,
      gate: new RequestGate(realm.name, realm.concurrency, realm.queue, realm.queueTimeout, counter),
      startedAt: 0,
      user: identity.user,
      ready: null as unknown as Promise<Worker>,
      worker: null,
      ...(epoch !== undefined && { epoch })
    }
    const fence: WriteFence | undefined = epoch === undefined ? undefined : { realm: realm.name, epoch }
    const began = Date.now()
    entry.ready = (async () => {
      await this.#startup
      await this.#table.stopped(sessionId, realm.name)
      // The gateway says whose session this is; the store says whether it still exists (and, in a
      // cluster, the directory whether it is this host's under that epoch). Asked only here, on the
      // cold path: a live worker is proof enough, since a session's end stops its workers.
      const [record, placed] = await Promise.all([this.#store.lookup(sessionId), this.#guard?.confirm(sessionId, realm.name, epoch)])
      if (!record || record.user !== identity.user) throw new SessionNotFoundError()
      const room = makeRoom(this.#table.entries(), entry, this.#limits, realm.maxWorkers)
      if (room.full) throw withRetryAfter(new WorkerLimitError(room.full.scope, room.full.limit), 1)
      for (const victim of room.evict) void this.#retire(victim, 'idle')
      const logger = this.#log.child({ realm: realm.name, session: sessionHash(sessionId) })
      const onExit = (err: Error) => {
        this.#counts.crashed++
        counter.crashes++
        history.restarts++
        if ((err as { code?: string }).code === 'SUP_ERR_WORKER_MEMORY') counter.memoryKills++
        const backoffMs = this.#backoff.record(key)
        logger.error({ err, ...entry.worker?.describe() }, 'worker exited unexpectedly')
        // Once per backoff: the requests it turns away meanwhile are logged at debug only (error-reply.ts).
        if (backoffMs > 0) {
          counter.backoffs++
          logger.warn({ backoffMs }, 'worker keeps crashing: no new one for a while, its requests get 503 with Retry-After')
        }
        if (this.#table.delete(entry)) entry.gate.close()
      }
      const resume = kind.hibernates ? await this.#hibernation.load(sessionId, realm.name, logger) : undefined
      if (placed?.failover) logFailover(logger, placed, resume !== undefined, kind.hibernates)
      const spare = kind.boot ? this.#spares.take(realm) : undefined
      const start = () => kind.start(realm, this.#host, { identity, logger, onExit, resume, ...(fence && { fence }) }, spare)
      const worker = await (this.#boots ? this.#boots.run(start) : start())
      if (spare) this.#counts.claimedSpares++
      this.#counts.spawned++
      counter.spawns++
      counter.spawnSeconds.observe((Date.now() - began) / 1000)
      if (resume) counter.resumes++
      history.hibernatedAt = null
      // Logout or shutdown may have retired the slot while the worker started.
      if (this.#closed || !this.#table.delete(entry)) {
        await worker.stop(this.#closed ? 'shutdown' : 'logout')
        throw this.#closed ? new SupervisorClosedError() : new SessionNotFoundError()
      }
      entry.worker = worker
      entry.startedAt = Date.now()
      this.#table.add(entry)
      let live = 0
      for (const e of this.#table.entries()) if (e.realm === realm.name && e.worker) live++
      if (live > counter.peakWorkers) counter.peakWorkers = live
      // The state is consumed: a later crash must not resume from it again (clearing also ends a failover's record).
      if (resume || placed?.failover) await this.#hibernation.clear(sessionId, realm.name, logger, entry.epoch)
      // The cold path: one line per start, with what an operator looks for (ps, top, id).
      logger.info({ reason: resume ? 'resumed' : spare ? 'spare' : 'cold', ms: Date.now() - began, ...worker.describe() }, 'worker started')
      return worker
    })()
    entry.ready.catch((err: unknown) => {
      this.#table.delete(entry)
      if (history.restarts === 0 && history.hibernatedAt === null && this.#slots.get(key) === history) this.#slots.delete(key)
      const code = (err as { code?: string }).code
      // Refusals (the session gone, no room, shutting down) are not failures to start.
      if (code === 'SUP_ERR_NO_SESSION' || code === 'SUP_ERR_CLOSED' || code === 'SUP_ERR_WORKER_LIMIT') return
      counter.spawnFailures++
      this.#log.warn({ err, realm: realm.name, session: sessionHash(sessionId) }, 'worker failed to start')
    })
    this.#table.add(entry)
    return entry
  }

  async #bootSpare (realm: WorkerRealm, onExit: (err: Error) => void): Promise<Spare> {
    await this.#startup
    const logger = this.#log.child({ realm: realm.name, spare: true })
    const boot = () => workerKind(realm.kind).boot!(realm, this.#host, { logger, onExit })
    return this.#boots ? this.#boots.run(boot) : boot()
  }

  * #memoryTargets (): Iterable<Watched> {
    for (const entry of this.#table.entries()) {
      const w = entry.worker
      const limitMb = entry.config.maxRssMb
      const pid = w?.describe().pid
      if (limitMb === undefined || pid === undefined || !w?.killForMemory) continue
      yield { pid, limitMb, kill: (mb) => w.killForMemory!(mb), ...(w.kernelOomKilled && { oomKilled: w.kernelOomKilled.bind(w) }) }
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
  #retire (entry: WorkerEntry, reason: StopReason, onSaved?: (saved: boolean) => void): Promise<void> {
    if (!this.#table.delete(entry)) return Promise.resolve()
    // Anyone queued for this worker dispatches again, to its successor.
    entry.gate.close()
    this.#retiring.set(entry, reason)
    const key = WorkerTable.key(entry.sessionId, entry.realm)
    const done = entry.ready.then(
      async (w) => {
        await this.#checkpoints.settled(entry)
        const described = w.describe()
        const hibernated = await w.stop(reason)
        const slot = this.#slots.get(key)
        const saved = hibernated ? await this.#hibernation.save(entry.sessionId, entry.realm, hibernated, this.#log, entry.epoch) : false
        if (hibernated) this.#realmCounts.of(entry.realm).hibernations++
        // A slot that moved to another host is that host's to show from now on.
        if (reason === 'moved') {
          this.#slots.delete(key)
        } else if (hibernated) {
          if (slot) slot.hibernatedAt = Date.now()
        } else if (slot && slot.restarts === 0) {
          this.#slots.delete(key)
        }
        this.#log.info({ realm: entry.realm, session: sessionHash(entry.sessionId), reason, hibernated: hibernated !== undefined, ...described }, 'worker stopped')
        onSaved?.(saved)
      },
      () => { /* never started: nothing to stop */ }).finally(() => this.#retiring.delete(entry))
    this.#table.trackStop(entry.sessionId, entry.realm, done)
    // A session that logs out starts its next life without the old crash record.
    if (reason === 'logout') this.#backoff.forget(WorkerTable.key(entry.sessionId, entry.realm))
    return done
  }

  /**
   * Cluster: from now until endMove, requests for the slot get
   * SUP_ERR_MOVING (421) at once, and the gateway holds them for the new
   * host; requests already admitted go on.
   */
  beginMove (sessionId: string, realm: string): void {
    this.#moving.add(WorkerTable.key(sessionId, realm))
    const entry = this.#table.get(sessionId, realm)
    if (entry) entry.moving = true
  }

  endMove (sessionId: string, realm: string): void {
    this.#moving.delete(WorkerTable.key(sessionId, realm))
  }

  /**
   * Cluster, after beginMove: waits (up to `waitMs`) for the slot's
   * admitted requests to finish, then stops its worker, which hibernates,
   * its state saved under its epoch. Answers the epoch it served, or null
   * when the slot had no worker.
   */
  async moveOut (sessionId: string, realm: string, waitMs: number): Promise<{ epoch: number | undefined, saved: boolean } | null> {
    const entry = this.#table.get(sessionId, realm)
    if (!entry) return null
    await within(entry.gate.idle(), waitMs, () => new MovingError(realm)).catch(() => {
      this.#log.warn({ realm, waitMs }, 'requests still in progress when the move had to go on')
    })
    let saved = false
    await this.#retire(entry, 'moved', (ok) => { saved = ok })
    return { epoch: entry.epoch, saved }
  }

  /** The slots with a worker (starting or live), and the epoch each serves: what a drain moves. */
  slots (): Array<{ sessionId: string, realm: string, epoch: number | undefined }> {
    return [...this.#table.entries()].map(e => ({ sessionId: e.sessionId, realm: e.realm, epoch: e.epoch }))
  }

  hosts (): Promise<HostInfo[]> {
    return Promise.resolve([{ host: this.#hostId, address: '', capacity: this.#limits.maxWorkers ?? 0, workers: this.#table.size, draining: false, leaseEnd: 0 }])
  }

  placement (sessionId: string, realm: string): Promise<PlacementInfo | null> {
    const e = this.#table.get(sessionId, realm)
    return Promise.resolve(e ? { host: this.#hostId, epoch: e.epoch ?? 0 } : null)
  }

  drain (): Promise<DrainSummary> {
    return Promise.reject(new NotClusteredError())
  }

  migrate (): Promise<PlacementInfo> {
    return Promise.reject(new NotClusteredError())
  }

  sessions (): Promise<string[]> {
    const ids = new Set<string>()
    for (const e of this.#table.entries()) ids.add(e.sessionId)
    // Hibernated and backed-off slots too: a session that ended without its event still has its record dropped.
    for (const slot of this.#slots.values()) ids.add(slot.sessionId)
    return Promise.resolve([...ids])
  }

  async stopSession (sessionId: string, reason: StopReason = 'logout'): Promise<void> {
    await Promise.all(this.#table.ofSession(sessionId).map(e => this.#retire(e, reason)))
    if (reason === 'logout') for (const [key, slot] of this.#slots) if (slot.sessionId === sessionId) this.#slots.delete(key)
  }

  /** Every slot with a worker or a record (hibernated, in backoff), filtered; measured when `usage` is asked for. */
  async workers (filter: WorkerFilter = {}): Promise<WorkerInfo[]> {
    const out: Array<{ info: WorkerInfo, worker: Worker | null }> = []
    const seen = new Set<string>()
    const now = Date.now()
    const add = (e: WorkerEntry, state: WorkerState) => {
      seen.add(WorkerTable.key(e.sessionId, e.realm))
      out.push({ info: this.#entryInfo(e, state), worker: state === 'starting' ? null : e.worker })
    }
    for (const e of this.#table.entries()) add(e, !e.worker ? 'starting' : e.gate.active > 0 ? 'busy' : 'ready')
    for (const e of this.#retiring.keys()) if (!seen.has(WorkerTable.key(e.sessionId, e.realm))) add(e, 'stopping')
    for (const [key, slot] of this.#slots) {
      if (seen.has(key)) continue
      const wait = this.#backoff.wait(key, now)
      if (wait > 0) out.push({ info: this.#slotInfo(slot, 'backoff', now + wait), worker: null })
      else if (slot.hibernatedAt !== null) out.push({ info: this.#slotInfo(slot, 'hibernated', null), worker: null })
    }
    const hash = filter.session
    const picked = out.filter(({ info: w }) => (filter.realm === undefined || w.realm === filter.realm) &&
      (filter.kind === undefined || w.kind === filter.kind) && (filter.state === undefined || w.state === filter.state) &&
      (filter.user === undefined || w.user === filter.user) && (hash === undefined || w.session === hash))
    if (filter.usage) {
      await Promise.all(picked.map(async (p) => {
        if (!p.worker) return
        const usage = await p.worker.usage()
        // A child's descriptor count when it has one, else the WebSockets the gateway holds to it.
        Object.assign(p.info, usage, { openSockets: usage.openSockets ?? p.info.openSockets })
      }))
    }
    return picked.map(p => p.info)
  }

  #entryInfo (e: WorkerEntry, state: WorkerState): WorkerInfo {
    const d = e.worker?.describe()
    const slot = this.#slots.get(WorkerTable.key(e.sessionId, e.realm))
    const hash = sessionHash(e.sessionId)
    return {
      id: `${hash}.${e.realm}`,
      host: this.#guard ? this.#hostId : null,
      realm: e.realm,
      kind: e.config.kind,
      state,
      session: hash,
      user: e.user ?? '',
      pid: d?.pid ?? null,
      threadId: d?.threadId ?? null,
      uid: d?.uid ?? null,
      gid: d?.gid ?? null,
      startedAt: e.startedAt || null,
      lastActivity: e.worker?.lastActivity ?? null,
      requests: e.gate.admitted,
      inFlight: e.gate.active,
      queued: e.gate.queued,
      rssBytes: null,
      heapUsedBytes: null,
      cpuSeconds: null,
      restarts: slot?.restarts ?? 0,
      openSockets: e.worker?.sockets ?? null,
      backoffUntil: null
    }
  }

  #slotInfo (slot: SlotRecord, state: WorkerState, backoffUntil: number | null): WorkerInfo {
    const hash = sessionHash(slot.sessionId)
    return {
      id: `${hash}.${slot.realm}`,
      host: this.#guard ? this.#hostId : null,
      realm: slot.realm,
      kind: slot.kind,
      state,
      session: hash,
      user: slot.user,
      pid: null,
      threadId: null,
      uid: null,
      gid: null,
      startedAt: null,
      lastActivity: slot.hibernatedAt,
      requests: 0,
      inFlight: 0,
      queued: 0,
      rssBytes: null,
      heapUsedBytes: null,
      cpuSeconds: null,
      restarts: slot.restarts,
      openSockets: null,
      backoffUntil
    }
  }

  /** The session behind a hash, from the slots this supervisor knows: the admin API names sessions by hash only. */
  #identityOf ({ session, realm }: WorkerTarget): { identity: Identity, entry: WorkerEntry | undefined } | undefined {
    for (const e of this.#table.entries()) {
      if (e.realm === realm && sessionHash(e.sessionId) === session) return { identity: { sessionId: e.sessionId, user: e.user ?? '' }, entry: e }
    }
    for (const slot of this.#slots.values()) {
      if (slot.realm === realm && sessionHash(slot.sessionId) === session) return { identity: { sessionId: slot.sessionId, user: slot.user }, entry: undefined }
    }
    return undefined
  }

  /** An operator's stop, hibernate or restart of one slot; answers the slot before and after. */
  async workerAction (target: WorkerTarget, action: WorkerAction): Promise<WorkerActionResult> {
    const found = this.#identityOf(target)
    const view = async () => (await this.workers({ session: target.session, realm: target.realm }))[0] ?? null
    const before = await view()
    if (!found || !before) throw new WorkerNotFoundError(`${target.session}.${target.realm}`)
    const { identity, entry } = found
    const key = WorkerTable.key(identity.sessionId, target.realm)
    if (action === 'stop') {
      // 'logout' is the stop whose handler does not hibernate: the session goes on, its state does not.
      if (entry) await this.#retire(entry, 'logout')
      this.#backoff.forget(key)
      this.#slots.delete(key)
      await this.#hibernation.clear(identity.sessionId, target.realm, this.#log)
    } else if (action === 'hibernate') {
      if (entry) await this.#retire(entry, 'idle')
    } else {
      this.#backoff.forget(key)
      const restarts = before.restarts + 1
      if (entry) await this.#retire(entry, 'replaced')
      await this.startWorker({ identity, realm: target.realm })
      const slot = this.#slots.get(key)
      if (slot) slot.restarts = restarts
    }
    this.#log.info({ action, realm: target.realm, session: target.session }, 'worker action')
    return { action, before, after: await view() }
  }

  /** Per realm: slots by state, queues and their bounds, spares, and the counters since start. */
  async status (): Promise<SupervisorStatus> {
    const workers = await this.workers()
    const spares = this.#spares.counts()
    const realms: RealmStatus[] = []
    for (const realm of this.#realms.values()) {
      const byState = Object.fromEntries(WORKER_STATES.map(s => [s, 0])) as Record<WorkerState, number>
      let queued = 0
      for (const w of workers) {
        if (w.realm !== realm.name) continue
        byState[w.state]++
        queued += w.queued
      }
      realms.push({
        name: realm.name,
        kind: realm.kind,
        workers: byState,
        maxWorkers: realm.maxWorkers ?? null,
        queued,
        queueLimit: realm.queue,
        spares: spares[realm.name] ?? null,
        counts: this.#realmCounts.of(realm.name).snapshot()
      })
    }
    return { host: this.#guard ? this.#hostId : null, startedAt: this.#startedAt, realms }
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
    this.#checkpoints.close()
    this.#watchdog.close()
    if (this.#drainTimer) clearInterval(this.#drainTimer)
    const entries = [...this.#table.entries()]
    await Promise.all([...entries.map(e => this.#retire(e, 'shutdown')), this.#spares.close()])
    await this.#table.allStopped()
    // The record of stopped workers reaches the state directory before close resolves: a caller may remove it next.
    await this.#host.children?.flush()
    await Promise.all([...workerKinds()].map(k => k.close?.(this.#host)))
    await this.#host.memoryLimits.close()
    if (this.#runDirReady && this.#runDirOption === undefined) await rm(await this.#runDirReady, { recursive: true, force: true })
  }
}

/** After a failover: what the session lost, in one warning line (the "log what was lost"). */
function logFailover (log: Logger, placed: ConfirmedPlacement, resumed: boolean, hibernates: boolean): void {
  const { from, at } = placed.failover!
  if (resumed && placed.savedAt !== undefined) {
    log.warn({ from, lostMs: Math.max(0, at - placed.savedAt) }, 'took over from a host that was lost: resumed from its last saved state; what the worker did after it is lost')
  } else {
    log.warn({ from }, hibernates
      ? 'took over from a host that was lost: no saved state, so the worker starts cold and its in-memory state is lost'
      : 'took over from a host that was lost: the worker starts afresh (its kind keeps no state)')
  }
}

/** What a slot leaves behind its worker, for the operators' views. */
interface SlotRecord {
  sessionId: string
  realm: string
  user: string
  kind: string
  restarts: number
  /** When its worker last hibernated; null once a new worker resumed. */
  hibernatedAt: number | null
}

const itself = (res: WorkerResponse): WorkerResponse => res
/** An upgrade holds the gate like a request only while its refusal's body streams. */
const refusalOf = (res: UpgradeResult): WorkerResponse | null => res.type === 'refused' ? res.response : null

/** Whether two definitions of a realm start the same workers: only the supervisor's own settings count. */
function sameWorkerDefinition (a: WorkerRealm, b: WorkerRealm): boolean {
  return WORKER_REALM_KEYS.every(k => isDeepStrictEqual(a[k], b[k]))
}
