import { Readable } from 'node:stream'
import { receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import { peerAborted } from '../errors.ts'
import { discardReadable, pumpReadable } from './body-pump.ts'
import { decodeError, encodeError } from './error-codec.ts'
import { ACK_EVERY_BYTES } from './flow-window.ts'
import { Inflow } from './inflow.ts'
import type { ControlFromWorker, ControlToWorker, FromWorker, HeaderList, Parked, StoreCallMessage } from './messages.ts'
import { Outflow } from './outflow.ts'
import { ProtocolError, parseFromWorker } from './parse.ts'
import { SocketChannel, deliverToSocket, drop } from './socket-channel.ts'

/** One request for the worker; the URL is what the handler's Request gets. */
export interface ClientRequest {
  method: string
  url: string
  headers: HeaderList
  /** A body that can still be read (not destroyed), or null. */
  body: Readable | null
}

export interface ClientResponse {
  status: number
  headers: HeaderList
  /** Whole when it fit in one message, streamed otherwise; destroying the stream aborts the exchange at the worker. */
  body: Uint8Array | Readable | null
}

/** An upgrade request (a WebSocket handshake): no body; `resumed` for a parked socket offered again. */
export type UpgradeRequest = Omit<ClientRequest, 'body'> & { resumed?: Parked }

export interface PortClientOptions {
  /** The worker's lifecycle messages: booted, ready, checkpointed, stopped. */
  onControl: (m: ControlFromWorker) => void
  /** A store call of the worker's handler: what it resolves with, or its error, goes back as the result. */
  onStoreCall: (call: StoreCallMessage) => Promise<unknown>
  /** The worker sent something that is not a message of this protocol. */
  onProtocolError: (err: ProtocolError) => void
  /**
   * How long a request may wait for its answer's head, and what then: the
   * hook gets the means to fail that request (or leaves it pending, when
   * the worker is going away anyway).
   */
  timeout?: { ms: number, onTimeout: (fail: (err: Error) => void) => void }
}

interface Exchange {
  /** When the answer's head is due (Date.now() ms); 0 once it came, or with no timeout. */
  due: number
  resolve: (r: ClientResponse | SocketChannel) => void
  reject: (e: Error) => void
  /** The response body while it streams. */
  stream: Readable | null
  inflow: Inflow | null
  /** The request body while it streams. */
  body: Readable | null
  outflow: Outflow | null
  upgrade: boolean
}

/**
 * The supervisor's end of the thread transport: owns one port to one
 * worker (one session), numbers its requests, streams bodies both ways
 * under the window and hands the worker's store calls to a callback.
 * The hot path is one message each way for a small exchange, posted
 * without waiting for anything.
 */
export class PortClient {
  #port: MessagePort
  #opts: PortClientOptions
  #exchanges = new Map<number, Exchange>()
  #sockets = new Map<number, SocketChannel>()
  #nextId = 1
  #lastActivity = Date.now()
  /**
   * One timer for the client, armed for the oldest exchange still waiting
   * for its head, rather than a timer per request set and cleared on the
   * hot path: exchanges are kept in the order they began, and all have the
   * same timeout, so the first one due is the first one waiting.
   */
  #timer: NodeJS.Timeout | null = null

  constructor (port: MessagePort, opts: PortClientOptions) {
    this.#port = port
    this.#opts = opts
    port.on('message', (m: unknown) => {
      let msg: FromWorker
      try {
        msg = parseFromWorker(m)
      } catch (err) {
        return opts.onProtocolError(err as ProtocolError)
      }
      this.#onMessage(msg)
    })
  }

  /** Exchanges waiting for or receiving their answer; open sockets are counted apart. */
  get inFlight (): number { return this.#exchanges.size }
  get openSockets (): number { return this.#sockets.size }
  /** When an exchange last started or ended, or a socket's frame went either way (Date.now()). */
  get lastActivity (): number {
    let last = this.#lastActivity
    for (const socket of this.#sockets.values()) if (socket.lastActivity > last) last = socket.lastActivity
    return last
  }

  /** Posts a lifecycle message: the claim, the stop. */
  control (m: ControlToWorker): void {
    this.#port.postMessage(m)
  }

  request (req: ClientRequest): Promise<ClientResponse> {
    return this.#exchange(req, false) as Promise<ClientResponse>
  }

  /** Asks the worker to take an upgrade as a socket channel: the channel when it accepts, its ordinary answer when not. */
  upgrade (req: UpgradeRequest): Promise<SocketChannel | ClientResponse> {
    return this.#exchange({ ...req, body: null }, true)
  }

  /**
   * Handles the messages the worker posted that have not been read yet, at
   * once: a thread's task result travels on another port, so when it
   * arrives the worker's last messages on this one (sockets it parked or
   * closed on its way out) may still wait here.
   */
  drain (): void {
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) {
      let msg: FromWorker
      try {
        msg = parseFromWorker(m.message)
      } catch (err) {
        this.#opts.onProtocolError(err as ProtocolError)
        continue
      }
      this.#onMessage(msg)
    }
  }

  /** The worker is being stopped: what its sockets are sent from now on waits for the next worker (SocketChannel.hold). */
  holdSockets (): void {
    for (const socket of this.#sockets.values()) socket.hold()
  }

  /** Ends every exchange and socket with `err`, telling the worker nothing: it is gone or going. */
  failAll (err: Error): void {
    for (const [id, ex] of this.#exchanges) this.#fail(id, ex, err)
    for (const socket of this.#sockets.values()) socket[drop](err)
  }

  close (): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#port.close()
  }

  #exchange (req: ClientRequest, upgrade: boolean): Promise<ClientResponse | SocketChannel> {
    const id = this.#nextId++
    this.#lastActivity = Date.now()
    return new Promise((resolve, reject) => {
      const ms = this.#opts.timeout?.ms ?? 0
      const ex: Exchange = { due: ms > 0 ? this.#lastActivity + ms : 0, resolve, reject, stream: null, inflow: null, body: req.body, outflow: null, upgrade }
      this.#exchanges.set(id, ex)
      if (ms > 0 && this.#timer === null) this.#arm(ms)
      if (upgrade) {
        const { resumed } = req as UpgradeRequest
        this.#port.postMessage({ t: 'req', id, method: req.method, url: req.url, headers: req.headers, body: null, more: false, upgrade: true, ...(resumed && { resumed }) })
        return
      }
      this.#port.postMessage({ t: 'req', id, method: req.method, url: req.url, headers: req.headers, body: null, more: req.body !== null })
      if (req.body) {
        const out = ex.outflow = new Outflow(this.#port, id)
        pumpReadable(out, req.body, (err) => {
          if (this.#exchanges.get(id) !== ex) return
          this.#port.postMessage({ t: 'abort', id })
          this.#fail(id, ex, err)
        })
      }
    })
  }

  #arm (ms: number): void {
    this.#timer = setTimeout(() => this.#sweep(), ms)
    this.#timer.unref()
  }

  /** Times out every exchange whose head is overdue, and arms the timer for the next one due. */
  #sweep (): void {
    this.#timer = null
    const now = Date.now()
    for (const [id, ex] of this.#exchanges) {
      if (ex.due === 0) continue
      if (ex.due > now) return this.#arm(ex.due - now)
      ex.due = 0
      this.#opts.timeout!.onTimeout((err) => { if (this.#exchanges.get(id) === ex) this.#fail(id, ex, err) })
    }
  }

  #onMessage (m: FromWorker): void {
    if (deliverToSocket(this.#sockets, m)) return
    switch (m.t) {
      case 'booted':
      case 'ready':
      case 'checkpointed':
      case 'stopped': return this.#opts.onControl(m)
      case 'res': {
        const ex = this.#exchanges.get(m.id)
        if (!ex) return
        ex.due = 0
        if (!m.more) {
          ex.resolve({ status: m.status, headers: m.headers, body: m.body })
          return this.#finish(m.id, ex)
        }
        const inflow = ex.inflow = new Inflow(this.#port, m.id)
        const stream = ex.stream = new Readable({
          highWaterMark: ACK_EVERY_BYTES,
          read: () => inflow.pulled(),
          destroy: (err, cb) => {
            // The client went away or the gateway gave up: tell the worker.
            if (this.#exchanges.get(m.id) === ex) {
              this.#port.postMessage({ t: 'abort', id: m.id })
              this.#finish(m.id, ex)
            }
            cb(err)
          }
        })
        if (m.body) inflow.took(m.body.byteLength, stream.push(m.body))
        ex.resolve({ status: m.status, headers: m.headers, body: stream })
        return
      }
      case 'chunk': {
        const ex = this.#exchanges.get(m.id)
        if (ex?.stream) ex.inflow!.took(m.chunk.byteLength, ex.stream.push(m.chunk))
        return
      }
      case 'end': {
        const ex = this.#exchanges.get(m.id)
        if (!ex) return
        this.#finish(m.id, ex)
        ex.stream?.push(null)
        return
      }
      case 'ack': {
        this.#exchanges.get(m.id)?.outflow?.acked(m.bytes)
        return
      }
      case 'error': {
        const ex = this.#exchanges.get(m.id)
        if (ex) this.#fail(m.id, ex, decodeError(m.error))
        return
      }
      case 'abort': {
        const ex = this.#exchanges.get(m.id)
        if (ex) this.#fail(m.id, ex, m.error ? decodeError(m.error) : peerAborted())
        return
      }
      case 'open': return this.#onOpen(m.id, m.headers)
      // Delivered to their channel before the switch (deliverToSocket), or for one long gone.
      case 'frame':
      case 'close': return
      case 'store': return this.#onStoreCall(m)
      default: {
        const never: never = m
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  }

  #onOpen (id: number, headers: HeaderList): void {
    const ex = this.#exchanges.get(id)
    if (!ex) {
      // Timed out or failed meanwhile: nobody takes the socket.
      this.#port.postMessage({ t: 'abort', id, error: encodeError(peerAborted()) })
      return
    }
    if (!ex.upgrade) return this.#opts.onProtocolError(new ProtocolError(`open for request ${id}, which is no upgrade`))
    this.#finish(id, ex)
    ex.resolve(new SocketChannel(this.#port, id, this.#sockets, headers))
  }

  // A thin pass-through: what a call means is the callback's business.
  #onStoreCall (m: StoreCallMessage): void {
    let result: Promise<unknown>
    try {
      result = this.#opts.onStoreCall(m)
    } catch (err) {
      result = Promise.reject(err)
    }
    result.then(
      value => this.#port.postMessage({ t: 'store-result', id: m.id, value }),
      (err: unknown) => this.#port.postMessage({ t: 'store-result', id: m.id, error: encodeError(err, 'SDK_ERR_STORE') })
    )
  }

  /** The exchange is over from the worker's side. */
  #finish (id: number, ex: Exchange): void {
    this.#exchanges.delete(id)
    ex.due = 0
    this.#lastActivity = Date.now()
    if (ex.outflow) {
      ex.outflow.close(new Error('exchange finished'))
      // The worker answered without reading all of the body.
      if (ex.body) discardReadable(ex.body)
    }
  }

  #fail (id: number, ex: Exchange, err: Error): void {
    this.#finish(id, ex)
    if (ex.stream) ex.stream.destroy(err)
    else ex.reject(err)
  }
}
