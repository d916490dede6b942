// kind: thread — one piscina pool of exactly one thread per worker.
//
//   ThreadWorker ── pool.run(task{port}) ──▶ thread-runtime (one task, lives as long as the worker)
//        │  port1 ◀──── MessageChannel ────▶ port2 (transferred)
//        └─ pending: id → exchange (response promise, response Readable, request-body window)
//
// Two steps: boot (thread up, handler module loaded: `booted`) and claim
// (the session handed over, start/resume run: `ready`). A spare is a worker
// booted ahead of time; a cold start posts the claim right after the task.
//
// piscina owns the thread's lifecycle (start, resource limits, termination);
// the per-request path is one message each way on the owned port.
import { MessageChannel } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { Piscina } from 'piscina'
import type { Logger } from 'pino'
import {
  ACK_EVERY_BYTES, FlowWindow, PROTOCOL_VERSION, WINDOW_BYTES, countStreamedBytes, decodeError, encodeError, parseFromWorker
} from '@sessiond/worker-sdk/protocol'
import type { FromWorker, StopReason, StoreCallMessage, ThreadTask, ThreadTaskResult } from '@sessiond/worker-sdk/protocol'
import type { ReleasableSessionData } from '@sessiond/worker-sdk'
import { sessionHash } from '@sessiond/worker-sdk'
import { ClientAbortedError, WorkerExitedError, WorkerStartError, WorkerStartTimeoutError, WorkerStoppedError, WorkerTimeoutError } from '../errors.ts'
import type { WorkerRealm } from '../config.ts'
import { within } from '../within.ts'
import type { Hibernated, Identity, WorkerInstance, WorkerRequest, WorkerResponse } from '../worker-instance.ts'

const THREAD_RUNTIME = import.meta.resolve('@sessiond/worker-sdk/thread-runtime')

interface Exchange {
  /** Armed until the response head arrives. */
  timer: NodeJS.Timeout | null
  resolve: (r: WorkerResponse) => void
  reject: (e: Error) => void
  /** The response body while it streams. */
  stream: Readable | null
  unacked: number
  paused: boolean
  /** The request body while it streams. */
  body: Readable | null
  window: FlowWindow | null
}

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

export class ThreadWorker implements WorkerInstance {
  #pool: Piscina
  #port: MessagePort
  #realm: WorkerRealm
  #store: ReleasableSessionData | null = null
  #log: Logger
  #pending = new Map<number, Exchange>()
  #nextId = 1
  #lastActivity = Date.now()
  #stopping: Promise<Hibernated | undefined> | null = null
  #task: Promise<ThreadTaskResult>
  #booted: PromiseWithResolvers<void> = Promise.withResolvers()
  #ready: PromiseWithResolvers<void> = Promise.withResolvers()
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
    this.#port.postMessage({ t: 'claim', sessionId: identity.sessionId, sessionHash: sessionHash(identity.sessionId), user: identity.user, ...(resume && { resume }) })
    await this.#inTime(this.#ready.promise)
    this.#lastActivity = Date.now()
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
    const { port1, port2 } = new MessageChannel()
    this.#port = port1
    port1.on('message', (m: unknown) => {
      let msg: FromWorker
      try {
        msg = parseFromWorker(m)
      } catch (err) {
        this.#log.error({ err }, 'worker broke the protocol')
        void this.stop('crash')
        return
      }
      this.#onMessage(msg)
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

  get inFlight (): number { return this.#pending.size }
  get lastActivity (): number { return this.#lastActivity }

  #exited (err: Error): void {
    this.#stopping = this.#pool.destroy().then(() => undefined, () => undefined)
    this.#failAll(err)
    this.#releaseStore()
    this.#onExit(err)
  }

  /** A worker that is gone gives up any rw lock it held: the next writer need not wait out the lease. */
  #releaseStore (): void {
    this.#store?.release().catch((err: unknown) => this.#log.warn({ err }, 'releasing the session lock of a stopped worker failed'))
  }

  /** A request got no answer in time: the worker is presumed hung and recycled at once. */
  #timedOut (id: number, ex: Exchange): void {
    if (this.#stopping || this.#pending.get(id) !== ex) return
    this.#log.warn({ timeoutMs: this.#realm.requestTimeout }, 'worker did not answer in time; recycling it')
    this.#fail(id, ex, new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout))
    this.#exited(new WorkerExitedError(this.#realm.name))
  }

  #failAll (err: Error): void {
    for (const [id, ex] of this.#pending) this.#fail(id, ex, err)
  }

  request (req: WorkerRequest): Promise<WorkerResponse> {
    if (this.#stopping) return Promise.reject(new WorkerStoppedError(this.#realm.name))
    const id = this.#nextId++
    this.#lastActivity = Date.now()
    return new Promise<WorkerResponse>((resolve, reject) => {
      const ex: Exchange = { timer: null, resolve, reject, stream: null, unacked: 0, paused: false, body: req.body, window: null }
      this.#pending.set(id, ex)
      const limit = this.#realm.requestTimeout
      if (limit > 0) ex.timer = setTimeout(() => this.#timedOut(id, ex), limit).unref()
      const more = req.body !== null
      this.#port.postMessage({ t: 'req', id, method: req.method, url: req.url, headers: req.headers, body: null, more })
      if (req.body) this.#pumpBody(id, ex, req.body)
    })
  }

  #pumpBody (id: number, ex: Exchange, body: Readable): void {
    const window = ex.window = new FlowWindow(WINDOW_BYTES)
    // The body may have failed while the worker was starting: no event will come.
    if (body.destroyed || body.errored || body.readableAborted) {
      this.#port.postMessage({ t: 'abort', id })
      return this.#fail(id, ex, new ClientAbortedError({ cause: body.errored ?? undefined }))
    }
    const onData = (chunk: Buffer) => {
      this.#port.postMessage({ t: 'chunk', id, chunk })
      countStreamedBytes(chunk.byteLength)
      if (!window.sent(chunk.byteLength)) {
        body.pause()
        window.room().then(() => body.resume(), () => { /* exchange over: #finish drains the rest */ })
      }
    }
    body.on('data', onData)
    body.once('end', () => {
      if (this.#pending.get(id) === ex) this.#port.postMessage({ t: 'end', id })
    })
    body.once('error', (err) => {
      if (this.#pending.get(id) === ex) {
        this.#port.postMessage({ t: 'abort', id })
        this.#fail(id, ex, err)
      }
    })
  }

  #onMessage (m: FromWorker): void {
    switch (m.t) {
      case 'booted': return this.#booted.resolve()
      case 'ready': return this.#ready.resolve()
      case 'res': {
        const ex = this.#pending.get(m.id)
        if (!ex) return
        if (ex.timer) clearTimeout(ex.timer)
        if (!m.more) {
          ex.resolve({ status: m.status, headers: m.headers, body: m.body })
          return this.#finish(m.id, ex)
        }
        const stream = new Readable({
          highWaterMark: ACK_EVERY_BYTES,
          read: () => {
            if (ex.paused) {
              ex.paused = false
              this.#ack(m.id, ex, true)
            }
          },
          destroy: (err, cb) => {
            // The client went away or the gateway gave up: tell the worker.
            if (this.#pending.get(m.id) === ex) {
              this.#port.postMessage({ t: 'abort', id: m.id })
              this.#finish(m.id, ex)
            }
            cb(err)
          }
        })
        ex.stream = stream
        if (m.body) this.#onChunk(m.id, ex, m.body)
        ex.resolve({ status: m.status, headers: m.headers, body: stream })
        return
      }
      case 'chunk': {
        const ex = this.#pending.get(m.id)
        if (ex?.stream) this.#onChunk(m.id, ex, m.chunk)
        return
      }
      case 'end': {
        const ex = this.#pending.get(m.id)
        if (!ex) return
        this.#finish(m.id, ex)
        ex.stream?.push(null)
        return
      }
      case 'ack': {
        this.#pending.get(m.id)?.window?.release(m.bytes)
        return
      }
      case 'error': {
        const ex = this.#pending.get(m.id)
        if (ex) this.#fail(m.id, ex, decodeError(m.error))
        return
      }
      case 'store': return void this.#onStoreCall(m)
      default: {
        const never: never = m
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  }

  #onChunk (id: number, ex: Exchange, chunk: Uint8Array): void {
    ex.unacked += chunk.byteLength
    countStreamedBytes(chunk.byteLength)
    if (ex.stream!.push(chunk)) this.#ack(id, ex, false)
    else ex.paused = true
  }

  #ack (id: number, ex: Exchange, force: boolean): void {
    if (ex.unacked === 0 || (!force && ex.unacked < ACK_EVERY_BYTES)) return
    this.#port.postMessage({ t: 'ack', id, bytes: ex.unacked })
    ex.unacked = 0
  }

  /** The exchange is over from the worker's side. */
  #finish (id: number, ex: Exchange): void {
    this.#pending.delete(id)
    if (ex.timer) clearTimeout(ex.timer)
    this.#lastActivity = Date.now()
    if (ex.window) {
      ex.window.close(new Error('exchange finished'))
      // The worker answered without reading all of the body: discard the rest
      // so that the connection stays usable for keep-alive.
      if (ex.body && !ex.body.readableEnded) {
        ex.body.removeAllListeners('data')
        ex.body.resume()
      }
    }
  }

  #fail (id: number, ex: Exchange, err: Error): void {
    this.#finish(id, ex)
    if (ex.stream) ex.stream.destroy(err)
    else ex.reject(err)
  }

  async #onStoreCall (m: StoreCallMessage): Promise<void> {
    try {
      if (!this.#store) throw new Error('store call before the worker was claimed')
      const fn = this.#store[m.op] as (...args: string[]) => Promise<unknown>
      const value = await fn.apply(this.#store, m.args)
      this.#port.postMessage({ t: 'store-result', id: m.id, value })
    } catch (err) {
      this.#port.postMessage({ t: 'store-result', id: m.id, error: encodeError(err, 'STORE_ERR_FAILED') })
    }
  }

  stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#port.postMessage({ t: 'stop', reason })
    const deadline = sleep(this.#realm.stopTimeout, null, { ref: false })
    const outcome = await Promise.race([this.#task.catch(() => null), deadline])
    if (outcome === null) this.#log.warn({ reason }, 'worker did not stop cleanly in time; terminating its thread')
    this.#failAll(new WorkerStoppedError(this.#realm.name))
    this.#port.close()
    await this.#pool.destroy()
    this.#releaseStore()
    return outcome?.hibernated
  }
}
