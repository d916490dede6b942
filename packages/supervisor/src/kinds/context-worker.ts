// kind: context — one session's worker: a V8 context of its own on one of
// its realm's shared threads (context-threads.ts), reached over a port of
// its own with the same transport as a thread worker (PortClient here,
// PortServer in the thread).
//
//   attach (a context made, the bundle run in it: `booted`) ─▶ claim (start/resume: `ready`)
//   ─▶ requests ─▶ stop ─▶ `stopped` {hibernated}
//
// A request with no answer in time: if the thread still answers a ping,
// only this session's context is recycled (as a thread worker would be);
// if it does not, the thread is hung, and is recycled with every session on
// it. The session whose code it was running ends as a crash; each other one
// restarts on the group's threads from its last checkpoint (or its
// resumed state), failing its in-flight requests, with one log line saying
// what it lost.
import { MessageChannel } from 'node:worker_threads'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { type PortClient, RemoteError } from '@sessiond/worker-sdk/transport'
import type { CheckpointedMessage, ClaimMessage, ControlFromWorker, StopReason, StoppedMessage, } from '@sessiond/worker-sdk/transport'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import type { ReleasableSessionData } from '@sessiond/worker-sdk/internal'
import type { WorkerRealm } from '../config.ts'
import {
  ClientAbortedError, ContextThreadLostError, WorkerExitedError, WorkerStartError, WorkerStartTimeoutError, WorkerStoppedError, WorkerTimeoutError
} from '../errors.ts'
import { within } from '../within.ts'
import type { UpgradeResult, WorkerRequest, WorkerResponse } from '../dispatcher.ts'
import type { ContextSession, ContextThread } from './context-thread.ts'
import type { ContextThreads } from './context-threads.ts'
import type { ThreadClaim } from './thread-worker.ts'
import type { Hibernated, Worker, WorkerDescription, WorkerUpgrade, WorkerUsage } from './worker-kind.ts'
import { upgradePortClient, workerPortClient } from './worker-port.ts'

/** How long a thread suspected of hanging has to answer a ping. */
const HANG_PROBE_MS = 500

/** The state a restart resumes from: the last checkpoint, or the state the session resumed with. */
interface Saved {
  from: 'checkpoint' | 'resume'
  state: unknown
  at: number
}

const seconds = (ms: number): string => ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`

export interface ContextWorkerOptions {
  realm: WorkerRealm
  threads: ContextThreads
  logger: Logger
  onExit: (err: Error) => void
}

export class ContextWorker implements Worker, ContextSession {
  readonly #realm: WorkerRealm
  readonly #threads: ContextThreads
  #thread!: ContextThread
  #client!: PortClient
  #log: Logger
  #onExit: (err: Error) => void
  #store: ReleasableSessionData | null = null
  #claim: ClaimMessage | null = null
  #booted!: PromiseWithResolvers<void>
  #ready!: PromiseWithResolvers<void>
  #stopped!: PromiseWithResolvers<StoppedMessage>
  #checkpointing: PromiseWithResolvers<CheckpointedMessage> | null = null
  #isReady = false
  #stopping: Promise<Hibernated | undefined> | null = null
  #stopAsked = false
  #restarting: Promise<void> | null = null
  #gone = false
  #claimedAt = 0
  #saved: Saved | null = null
  /** Requests since `#saved` (or since the start): what a restart loses. */
  #requests = 0

  /** A spare: a context on a shared thread with the handler's modules instantiated, waiting for a session. */
  static async boot (opts: ContextWorkerOptions): Promise<ContextWorker> {
    const w = new ContextWorker(opts)
    await w.#inTime(w.#booted.promise)
    return w
  }

  /** A worker for one session, its context made and claimed in one go. */
  static async start (opts: ContextWorkerOptions, claim: ThreadClaim): Promise<ContextWorker> {
    const w = new ContextWorker(opts)
    await w.claim(claim)
    return w
  }

  private constructor ({ realm, threads, logger, onExit }: ContextWorkerOptions) {
    this.#realm = realm
    this.#threads = threads
    this.#log = logger
    this.#onExit = onExit
    this.#attach()
  }

  /** Hands the worker its session; resolves once start/resume ran. */
  async claim ({ identity, store, logger, onExit, resume }: ThreadClaim): Promise<void> {
    this.#store = store
    this.#log = logger
    this.#onExit = onExit
    this.#claim = { t: 'claim', sessionId: identity.sessionId, sessionHash: sessionHash(identity.sessionId), user: identity.user }
    this.#client.control({ ...this.#claim, ...(resume && { resume }) })
    await this.#inTime(this.#ready.promise)
    this.#claimedAt = Date.now()
    if (resume) this.#saved = { from: 'resume', state: resume.state, at: this.#claimedAt }
  }

  /** A new port on the least loaded thread; the thread makes a context for it and runs the bundle there. */
  #attach (): void {
    this.#booted = Promise.withResolvers()
    this.#ready = Promise.withResolvers()
    this.#stopped = Promise.withResolvers()
    // The start steps' readers may have given up; a rejection after that must not go unhandled.
    this.#booted.promise.catch(() => { /* boot() reports it */ })
    this.#ready.promise.catch(() => { /* claim() reports it */ })
    this.#isReady = false
    const { port1, port2 } = new MessageChannel()
    this.#client = workerPortClient(port1, {
      realm: this.#realm,
      log: () => this.#log,
      onControl: (m) => this.#onControl(m),
      store: () => this.#store,
      onBroken: (err) => this.#exited(new WorkerExitedError(this.#realm.name, { cause: err })),
      onTimeout: (fail) => void this.#timedOut(fail)
    })
    this.#thread = this.#threads.place()
    this.#thread.attach(port2, this)
  }

  #onControl (m: ControlFromWorker): void {
    switch (m.t) {
      case 'booted': return this.#booted.resolve()
      case 'ready': {
        this.#isReady = true
        return this.#ready.resolve()
      }
      case 'checkpointed': return this.#checkpointing?.resolve(m)
      case 'stopped': return this.#onStopped(m)
      default: {
        const never: never = m
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  }

  /** The session's context ended: asked to, or on its own (its start failed, or its code failed uncaught). */
  #onStopped (m: StoppedMessage): void {
    this.#stopped.resolve(m)
    if (this.#stopping) return
    const cause = m.error ? new RemoteError(m.error) : undefined
    if (!this.#isReady) {
      const err = new WorkerStartError(this.#realm.name, { cause })
      this.#booted.reject(err)
      this.#ready.reject(err)
      return
    }
    this.#exited(new WorkerExitedError(this.#realm.name, { cause }))
  }

  get inFlight (): number { return this.#client.inFlight }
  get sockets (): number { return this.#client.openSockets }
  get lastActivity (): number { return Math.max(this.#claimedAt, this.#client.lastActivity) }

  upgrade (req: WorkerUpgrade): Promise<UpgradeResult> {
    if (this.#stopping) return Promise.reject(new WorkerStoppedError(this.#realm.name))
    if (this.#restarting) return this.#restarting.then(() => this.upgrade(req))
    return upgradePortClient(this.#client, req)
  }

  describe (): WorkerDescription {
    const threadId = this.#thread.threadId
    return { kind: 'context', ...(threadId !== undefined && { threadId }), uid: process.getuid?.(), gid: process.getgid?.() }
  }

  /** Nothing of its own to measure: its heap, CPU time and memory are its shared thread's, with other sessions' contexts. */
  usage (): Promise<WorkerUsage> {
    return Promise.resolve({ rssBytes: null, heapUsedBytes: null, cpuSeconds: null, openSockets: null })
  }

  request (req: WorkerRequest): Promise<WorkerResponse> {
    if (this.#stopping) return Promise.reject(new WorkerStoppedError(this.#realm.name))
    // Its thread was recycled under it: the request waits for the restart.
    if (this.#restarting) return this.#restarting.then(() => this.request(req))
    // The body may have failed while the worker was starting: no event will come.
    const body = req.body
    if (body && (body.destroyed || body.errored || body.readableAborted)) {
      return Promise.reject(new ClientAbortedError({ cause: body.errored ?? undefined }))
    }
    this.#requests++
    return this.#client.request(req)
  }

  /** The handler's state while it goes on serving; kept here too, for a restart after a recycle. */
  async checkpoint (): Promise<Hibernated | undefined> {
    if (this.#stopping || this.#restarting || !this.#isReady || this.#checkpointing) return undefined
    const at = Date.now()
    const requests = this.#requests
    const pending = this.#checkpointing = Promise.withResolvers<CheckpointedMessage>()
    this.#client.control({ t: 'checkpoint' })
    const m = await Promise.race([pending.promise, sleep(this.#realm.stopTimeout, null, { ref: false })])
    if (this.#checkpointing === pending) this.#checkpointing = null
    if (m === null) {
      this.#log.warn('checkpoint got no answer in time')
      void this.#unresponsive()
      return undefined
    }
    if (m.error || !m.hibernated) return undefined
    this.#saved = { from: 'checkpoint', state: m.hibernated.state, at }
    this.#requests -= requests
    return m.hibernated
  }

  stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#stopAsked = true
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop (reason: StopReason): Promise<Hibernated | undefined> {
    if (this.#restarting) await this.#restarting.catch(() => { /* gone: nothing to stop */ })
    if (this.#gone) return undefined
    // Frames sent from now on wait for the next worker; those sent before reach this one ahead of its stop.
    this.#client.holdSockets()
    this.#client.control({ t: 'stop', reason })
    const outcome = await Promise.race([this.#stopped.promise, sleep(this.#realm.stopTimeout, null, { ref: false })])
    if (outcome === null) {
      this.#log.warn({ reason }, 'worker did not stop cleanly in time; dropping its context')
      await this.#unresponsive()
    }
    this.#leave(new WorkerStoppedError(this.#realm.name))
    return outcome?.hibernated
  }

  /** Out of its thread and done: requests still open fail with `err`, the session's lock is let go. */
  #leave (err: Error): void {
    this.#gone = true
    // What the runtime posted on its way out (sockets it parked) is handled before the rest is failed.
    this.#client.drain()
    this.#client.failAll(err)
    this.#client.close()
    this.#thread.detach(this)
    this.#checkpointing?.resolve({ t: 'checkpointed', error: { code: 'SUP_ERR_WORKER_STOPPED', message: err.message, statusCode: 503 } })
    this.#store?.release().catch((e: unknown) => this.#log.warn({ err: e }, 'releasing the session lock of a stopped worker failed'))
  }

  /** Ends a worker that is serving without being asked: the supervisor hears of it once. */
  #exited (err: Error): void {
    if (this.#gone) return
    this.#stopping ??= Promise.resolve(undefined)
    this.#leave(err)
    this.#onExit(err)
  }

  /** Waits for a start-up step within the realm's start timeout; on failure the worker is gone, without an exit report. */
  async #inTime (step: Promise<void>): Promise<void> {
    const { name, startTimeout } = this.#realm
    try {
      await within(step, startTimeout, () => new WorkerStartTimeoutError(name, startTimeout))
    } catch (err) {
      this.#stopping ??= Promise.resolve(undefined)
      if ((err as { code?: string }).code === 'SUP_ERR_WORKER_START_TIMEOUT') await this.#unresponsive()
      if (!this.#gone) this.#leave(err as Error)
      throw err
    }
  }

  /** Something got no answer in time: if the thread itself does not answer either, it is hung and recycled. */
  async #unresponsive (beforeRecycle?: () => void): Promise<boolean> {
    const thread = this.#thread
    const answers = await thread.answers(HANG_PROBE_MS)
    beforeRecycle?.()
    if (answers) return false
    this.#threads.recycle(thread, thread.running() ?? this)
    return true
  }

  /** A request got no answer in time. */
  async #timedOut (fail: (err: Error) => void): Promise<void> {
    if (this.#stopping) return
    const { name, requestTimeout } = this.#realm
    // The 504 goes out once the probe has decided, so that the thread is recycled by the time the client hears.
    if (await this.#unresponsive(() => fail(new WorkerTimeoutError(name, requestTimeout)))) return
    // The thread answers: only this session's code is stuck (awaiting what never comes), and only its context goes.
    this.#log.warn({ timeoutMs: requestTimeout }, 'worker did not answer in time; recycling its context')
    this.#exited(new WorkerExitedError(name))
  }

  threadLost (cause: Error | null): void {
    if (this.#gone) return
    if (this.#stopping) {
      // Stopping anyway: the last saved state is what it would have resumed from.
      this.#stopped.resolve({ t: 'stopped', stopped: 'crash', ...(this.#saved && { hibernated: { state: this.#saved.state } }) })
      return
    }
    if (!this.#isReady) {
      // Still starting (or a spare): it fails to start, and the supervisor reports that.
      const err = new WorkerStartError(this.#realm.name, { cause: cause ?? new Error('its shared thread was recycled') })
      this.#booted.reject(err)
      this.#ready.reject(err)
      return
    }
    const saved = this.#saved?.from === 'checkpoint' ? this.#saved : null
    if (cause) {
      // Resumed later by the supervisor from the store, where only checkpoints are saved.
      const next = saved ? `its next request resumes from its checkpoint of ${seconds(Date.now() - saved.at)} ago, losing ${this.#requests} requests` : 'its next request starts it cold'
      return this.#exited(new ContextThreadLostError(this.#realm.name, cause.message, next, { cause }))
    }
    this.#restart()
  }

  /** Starts this session again on the group's threads, from what it saved last. */
  #restart (): void {
    const from = this.#saved
    const requestsLost = this.#requests
    const lostMs = Date.now() - (from ? from.at : this.#claimedAt)
    this.#log.warn({ requestsLost, lostMs, from: from?.from ?? 'cold' }, from
      ? `its shared thread was recycled (another session hung it): restarted from its ${from.from === 'checkpoint' ? 'checkpoint' : 'resumed state'} of ${seconds(lostMs)} ago; the ${requestsLost} requests since are lost`
      : `its shared thread was recycled (another session hung it): restarted cold, having no checkpoint; its in-memory state of ${seconds(lostMs)} and ${requestsLost} requests is lost`)
    this.#client.failAll(new WorkerExitedError(this.#realm.name))
    this.#client.close()
    this.#thread.detach(this)
    this.#checkpointing?.resolve({ t: 'checkpointed', error: { code: 'SUP_ERR_WORKER_EXITED', message: 'its thread was recycled', statusCode: 502 } })
    this.#attach()
    this.#requests = 0
    this.#client.control({ ...this.#claim!, ...(from && { resume: { state: from.state } }) })
    this.#restarting = this.#inTime(this.#ready.promise).then(() => {
      this.#restarting = null
      if (from) this.#saved = { ...from, at: Date.now() }
    }, (err: Error) => {
      // #inTime has let the worker go; the supervisor hears of it unless it was stopping it anyway.
      this.#restarting = null
      if (!this.#stopAsked) this.#onExit(new WorkerExitedError(this.#realm.name, { cause: err }))
    })
  }
}
