// kind: thread — one piscina pool of exactly one thread per worker.
//
//   ThreadWorker ── pool.run(task{port}) ──▶ thread-runtime (one task, lives as long as the worker)
//        │  PortClient(port1) ◀──── MessageChannel ────▶ port2 (transferred) PortServer
//
// Two steps: boot (thread up, handler module loaded: `booted`) and claim
// (the session handed over, start/resume run: `ready`). A spare is a worker
// booted ahead of time; a cold start posts the claim right after the task.
//
// piscina owns the thread's lifecycle (start, resource limits, termination);
// the per-request path is the worker-sdk transport's client end, one message
// each way on the owned port. This file keeps the lifecycle only: boot,
// claim, stop, exit, and recycling a worker whose request timed out.
import { MessageChannel } from 'node:worker_threads'
import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import type { Logger } from 'pino'
import { PROTOCOL_VERSION, type PortClient } from '@sessiond/worker-sdk/transport'
import type { CheckpointedMessage, ControlFromWorker, StopReason, ThreadTask, ThreadTaskResult } from '@sessiond/worker-sdk/transport'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import type { ReleasableSessionData } from '@sessiond/worker-sdk/internal'
import { ClientAbortedError, WorkerExitedError, WorkerStartError, WorkerStartTimeoutError, WorkerStoppedError, WorkerTimeoutError } from '../errors.ts'
import type { WorkerRealm } from '../config.ts'
import { within } from '../within.ts'
import type { Identity, UpgradeResult, WorkerRequest, WorkerResponse } from '../dispatcher.ts'
import type { Hibernated, Worker, WorkerDescription, WorkerUpgrade, WorkerUsage } from './worker-kind.ts'
import { upgradePortClient, workerPortClient } from './worker-port.ts'

const THREAD_RUNTIME = import.meta.resolve('@sessiond/worker-sdk/thread-runtime')

export interface ThreadBootOptions {
  realm: WorkerRealm
  logger: Logger
  /** Booted ahead of a session: it warms its request path before it reports booted. */
  spare?: boolean
  /** Called once if the worker ends without being asked to stop; `claim` replaces it. */
  onExit: (err: Error) => void
}

export interface ThreadClaim {
  identity: Identity
  store: ReleasableSessionData
  /** Bound to the realm and the session. */
  logger: Logger
  onExit: (err: Error) => void
  /** Saved state to resume from instead of a cold start. */
  resume?: Hibernated
}

export class ThreadWorker implements Worker {
  #pool: Piscina
  #client: PortClient
  #realm: WorkerRealm
  #store: ReleasableSessionData | null = null
  #log: Logger
  #claimedAt = 0
  #stopping: Promise<Hibernated | undefined> | null = null
  #task: Promise<ThreadTaskResult>
  #booted: PromiseWithResolvers<void> = Promise.withResolvers()
  #ready: PromiseWithResolvers<void> = Promise.withResolvers()
  #checkpointing: PromiseWithResolvers<CheckpointedMessage | null> | null = null
  #onExit: (err: Error) => void

  /** A worker for one session, booted and claimed in one go. */
  static async start (boot: ThreadBootOptions, claim: ThreadClaim): Promise<ThreadWorker> {
    const w = new ThreadWorker(boot)
    await w.claim(claim)
    return w
  }

  /** A spare: booted, its handler module loaded, waiting for a session. */
  static async boot (opts: ThreadBootOptions): Promise<ThreadWorker> {
    const w = new ThreadWorker(opts)
    await w.#inTime(w.#booted.promise)
    return w
  }

  /** Hands the worker its session; resolves once start/resume ran. */
  async claim ({ identity, store, logger, onExit, resume }: ThreadClaim): Promise<void> {
    this.#store = store
    this.#log = logger
    this.#onExit = onExit
    this.#client.control({ t: 'claim', sessionId: identity.sessionId, sessionHash: sessionHash(identity.sessionId), user: identity.user, ...(resume && { resume }) })
    await this.#inTime(this.#ready.promise)
    this.#claimedAt = Date.now()
  }

  /** Waits for a start-up step within the realm's start timeout; on failure the worker is gone, without an exit report. */
  async #inTime (step: Promise<void>): Promise<void> {
    const { name, startTimeout } = this.#realm
    try {
      await within(step, startTimeout, () => new WorkerStartTimeoutError(name, startTimeout))
    } catch (err) {
      this.#stopping ??= Promise.resolve(undefined)
      await this.#pool.destroy()
      throw err
    }
  }

  private constructor ({ realm, logger, onExit, spare = false }: ThreadBootOptions) {
    // boot() and claim() are the only readers; a rejection after they gave up must not go unhandled.
    this.#booted.promise.catch(() => { /* boot() reports it */ })
    this.#ready.promise.catch(() => { /* claim() reports it */ })
    this.#realm = realm
    this.#onExit = onExit
    this.#log = logger
    this.#pool = new Piscina({
      filename: THREAD_RUNTIME,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      // The one task never returns while the worker lives; the thread must not
      // park in Atomics.wait between tasks it will never get.
      atomics: 'disabled',
      recordTiming: false,
      resourceLimits: realm.resourceLimits,
      closeTimeout: realm.stopTimeout
    })
    this.#pool.on('error', (err: Error) => this.#log.error({ err }, 'worker pool error'))
    // piscina replaces a thread that died (an uncaught exception) to keep its minimum, and when
    // the dead thread's 'exit' arrives after our destroy() finished, that replacement would
    // outlive its worker (issue 15, finding 5; piscina 5.3 dist/index.js onWorkerExit). A
    // thread made once this worker is gone is destroyed in turn: then its exit comes while
    // piscina is destroying, which starts no other.
    this.#pool.on('workerCreate', () => {
      if (this.#stopping) void this.#pool.destroy().catch(() => { /* already gone */ })
    })
    const { port1, port2 } = new MessageChannel()
    this.#client = workerPortClient(port1, {
      realm,
      log: () => this.#log,
      onControl: (m) => this.#onControl(m),
      store: () => this.#store,
      onBroken: () => void this.stop('crash'),
      onTimeout: (fail) => this.#timedOut(fail)
    })
    const task: ThreadTask = {
      version: PROTOCOL_VERSION,
      port: port2,
      handler: realm.handler!,
      realm: realm.name,
      logLevel: logger.level,
      spare
    }
    this.#task = this.#pool.run(task, { transferList: [port2] }) as Promise<ThreadTaskResult>
    this.#task.then(() => {
      // A task that ends without a stop request is a worker that quit on its own.
      if (!this.#stopping) this.#exited(new WorkerExitedError(realm.name))
    }, (err: Error) => {
      const e = this.#stopping ? err : new WorkerStartError(realm.name, { cause: err })
      this.#booted.reject(e)
      this.#ready.reject(e)
      if (!this.#stopping) this.#exited(new WorkerExitedError(realm.name, { cause: err }))
    })
  }

  #onControl (m: ControlFromWorker): void {
    switch (m.t) {
      case 'booted': return this.#booted.resolve()
      case 'ready': return this.#ready.resolve()
      case 'checkpointed': return this.#checkpointing?.resolve(m)
      // A thread worker's end is its task's result, never this message.
      case 'stopped': return
      default: {
        const never: never = m
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  }

  /** The handler's state while it goes on serving (a realm's checkpoint); a handler that takes too long is left to finish. */
  async checkpoint (): Promise<Hibernated | undefined> {
    if (this.#stopping || this.#checkpointing || this.#claimedAt === 0) return undefined
    const pending = this.#checkpointing = Promise.withResolvers()
    this.#client.control({ t: 'checkpoint' })
    const m = await Promise.race([pending.promise, sleep(this.#realm.stopTimeout, null, { ref: false })])
    this.#checkpointing = null
    if (m === null) this.#log.warn('checkpoint got no answer in time')
    return m?.hibernated
  }

  get inFlight (): number { return this.#client.inFlight }
  get sockets (): number { return this.#client.openSockets }
  get lastActivity (): number { return Math.max(this.#claimedAt, this.#client.lastActivity) }

  describe (): WorkerDescription {
    const threadId = this.#pool.threads[0]?.threadId
    return { kind: 'thread', ...(threadId !== undefined && { threadId }), uid: process.getuid?.(), gid: process.getgid?.() }
  }

  /** The thread's own heap and CPU time (Node's Worker#getHeapStatistics and #cpuUsage); its memory is the daemon's. */
  async usage (): Promise<WorkerUsage> {
    const thread = this.#pool.threads[0]
    const none: WorkerUsage = { rssBytes: null, heapUsedBytes: null, cpuSeconds: null, openSockets: null }
    if (!thread || this.#stopping) return none
    try {
      const [heap, cpu] = await Promise.all([thread.getHeapStatistics(), thread.cpuUsage()])
      return { ...none, heapUsedBytes: heap.used_heap_size, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
    } catch {
      // The thread ended between the look and the answer.
      return none
    }
  }

  #exited (err: Error): void {
    this.#checkpointing?.resolve(null)
    this.#stopping = this.#pool.destroy().then(() => undefined, () => undefined)
    this.#client.failAll(err)
    this.#releaseStore()
    this.#onExit(err)
  }

  /** A worker that is gone gives up any rw lock it held: the next writer need not wait out the lease. */
  #releaseStore (): void {
    this.#store?.release().catch((err: unknown) => this.#log.warn({ err }, 'releasing the session lock of a stopped worker failed'))
  }

  /** A request got no answer in time: the worker is presumed hung and recycled at once. */
  #timedOut (fail: (err: Error) => void): void {
    if (this.#stopping) return
    this.#log.warn({ timeoutMs: this.#realm.requestTimeout }, 'worker did not answer in time; recycling it')
    fail(new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout))
    this.#exited(new WorkerExitedError(this.#realm.name))
  }

  request (req: WorkerRequest): Promise<WorkerResponse> {
    if (this.#stopping) return Promise.reject(new WorkerStoppedError(this.#realm.name))
    // The body may have failed while the worker was starting: no event will come.
    const body = req.body
    if (body && (body.destroyed || body.errored || body.readableAborted)) {
      return Promise.reject(new ClientAbortedError({ cause: body.errored ?? undefined }))
    }
    return this.#client.request(req)
  }

  upgrade (req: WorkerUpgrade): Promise<UpgradeResult> {
    if (this.#stopping) return Promise.reject(new WorkerStoppedError(this.#realm.name))
    return upgradePortClient(this.#client, req)
  }

  stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop (reason: StopReason): Promise<Hibernated | undefined> {
    // On the same port as the frames: whatever was sent before reaches the worker before its stop.
    this.#client.holdSockets()
    this.#client.control({ t: 'stop', reason })
    const deadline = sleep(this.#realm.stopTimeout, null, { ref: false })
    const outcome = await Promise.race([this.#task.catch(() => null), deadline])
    if (outcome === null) this.#log.warn({ reason }, 'worker did not stop cleanly in time; terminating its thread')
    // The sockets it parked or closed on its way out, before what is left is failed.
    this.#client.drain()
    this.#client.failAll(new WorkerStoppedError(this.#realm.name))
    this.#checkpointing?.resolve(null)
    this.#client.close()
    await this.#pool.destroy()
    this.#releaseStore()
    return outcome?.hibernated
  }
}
