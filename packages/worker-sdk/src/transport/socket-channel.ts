import { EventEmitter } from 'node:events'
import { peerAborted, socketClosed } from '../errors.ts'
import { decodeError, encodeError } from './error-codec.ts'
import { Inflow } from './inflow.ts'
import type { MessageSink } from './message-sink.ts'
import type { AbortMessage, AckMessage, CloseMessage, FrameMessage, HeaderList, Parked } from './messages.ts'
import { Outflow, frameBytes } from './outflow.ts'

/** A text frame is a string, a binary one bytes. */
export type SocketData = string | Uint8Array

/** How a channel ended: the close code and reason the peer sent, or 1006 and the error of an abort. */
export interface SocketClose {
  code: number
  reason: string
  error?: Error
  /** The worker hibernated: the connection behind the channel stays open, and this is what it keeps. */
  parked?: Parked
  /** With `parked`: frames sent after `hold()`, which the worker never got; they go to the next one. */
  unsent?: SocketData[]
}

export interface SocketChannelEvents {
  /** One frame from the peer. While paused, frames wait here and are not acknowledged. */
  message: [data: SocketData]
  /** The peer's window has room again after `send` answered false. */
  drain: []
  /**
   * Once, last: after every frame that came before the peer's close, so a
   * paused channel, or one without a 'message' listener, holds it back too.
   * An abort is not held back: undelivered frames are dropped.
   */
  close: [close: SocketClose]
}

/** Abnormal closure, as WebSocket reports a connection that ended without a close frame. */
export const ABNORMAL_CLOSE = 1006
/** WebSocket's "try again later": what a channel whose receiver stopped reading while its sender went on closes with. */
export const OVERFLOW_CLOSE = 1013

/** How the end that owns the port hands a channel its messages. */
export const receive = Symbol('receive')
/** How that end ends a channel whose port is going away, without a message. */
export const drop = Symbol('drop')

type ChannelMessage = FrameMessage | CloseMessage | AckMessage | AbortMessage

/**
 * Hands a message to the socket channel its id names, if there is one: the
 * first step of both ends' dispatch, before the request exchanges see it.
 * Answers whether it was a channel's.
 */
export function deliverToSocket (sockets: ReadonlyMap<number, SocketChannel>, m: { t: string, id?: number }): boolean {
  if (m.t !== 'frame' && m.t !== 'close' && m.t !== 'ack' && m.t !== 'abort') return false
  const socket = sockets.get(m.id as number)
  if (socket) socket[receive](m as ChannelMessage)
  return socket !== undefined || m.t === 'frame' || m.t === 'close'
}

/**
 * One end of a socket channel: a long-lived stream id carrying message
 * frames both ways, each direction under its own window, like a body.
 * The same class serves both ends; the supervisor's end gets it from
 * `PortClient.upgrade`, the worker's from `PortServer.acceptSocket`.
 *
 * Sending: `send` answers false once the peer's window is full; wait for
 * 'drain'. Receiving: 'message' events, flowing as soon as a listener is
 * attached; `pause()` holds them back (and the acks with them), so a slow
 * consumer stops the sender after one window. Closing is WebSocket's
 * handshake: `close(code, reason)` stops sending, the peer's channel emits
 * 'close' and answers with the same code, and this one emits 'close' when
 * that answer arrives. `abort(err)` ends both at once, with code 1006.
 *
 * @example
 * socket.on('message', (data) => { if (!socket.send(data)) socket.pause(); })
 * socket.on('drain', () => socket.resume())
 * socket.on('close', ({ code, reason }) => log.info({ code, reason }, 'socket closed'))
 */
export class SocketChannel extends EventEmitter<SocketChannelEvents> {
  readonly id: number
  /** The worker's headers for the 101 answer (Sec-WebSocket-Protocol and the like). */
  readonly headers: HeaderList
  /** At the worker's end: set when the channel is a parked socket offered again, with what it was parked with. */
  resumed: Parked | null = null
  /**
   * Bytes of frames received and not yet delivered (the receiver paused)
   * beyond which the channel closes with 1013: a sender that ignores
   * `send()` answering false cannot grow the receiver's memory without
   * bound. Infinity: no limit.
   */
  queueLimit = Number.POSITIVE_INFINITY
  readonly #port: MessageSink
  readonly #table: Map<number, SocketChannel>
  readonly #out: Outflow
  readonly #in: Inflow
  #state: 'open' | 'closing' | 'closed' = 'open'
  #paused = false
  #draining = false
  /** Frames received and not yet delivered; `#head` is the next one. */
  #queue: SocketData[] = []
  #head = 0
  #queuedBytes = 0
  #lastActivity = Date.now()
  /** Frames sent since `hold()`: kept here, never posted. */
  #held: SocketData[] | null = null
  /** The close to emit once the queued frames are delivered. */
  #ending: SocketClose | null = null

  /** Made by the end that owns the port, which routes this id's messages to it through `table`. */
  constructor (port: MessageSink, id: number, table: Map<number, SocketChannel>, headers: HeaderList) {
    super()
    this.#port = port
    this.id = id
    this.headers = headers
    this.#table = table
    this.#out = new Outflow(port, id)
    this.#in = new Inflow(port, id)
    table.set(id, this)
    // Frames that came before the first listener wait for it.
    ;(this as EventEmitter).on('newListener', (event: string) => { if (event === 'message') queueMicrotask(() => this.#flush()) })
  }

  /** `open` until this side closes (`closing`), `closed` once the handshake ended or either side aborted. */
  get state (): 'open' | 'closing' | 'closed' { return this.#state }
  /** Bytes sent that the peer has not taken yet (WebSocket's `bufferedAmount`). */
  get bufferedAmount (): number { return this.#out.inFlight }
  /** Bytes received that wait for the consumer (paused, or no listener yet). */
  get queuedBytes (): number { return this.#queuedBytes }
  /** When a frame last went out or came in (Date.now()): what idle culling counts, never pings. */
  get lastActivity (): number { return this.#lastActivity }

  /** Sends one frame; false when the peer's window is full: wait for 'drain' before sending more. */
  send (data: SocketData): boolean {
    if (this.#state !== 'open') throw socketClosed()
    this.#lastActivity = Date.now()
    if (this.#held) {
      this.#held.push(data)
      return false
    }
    if (this.#out.frame(data)) return true
    if (!this.#draining) {
      this.#draining = true
      this.#out.room().then(() => {
        this.#draining = false
        if (this.#state === 'open') this.emit('drain')
      }, () => { /* closed meanwhile: 'close' tells */ })
    }
    return false
  }

  /** Starts the closing handshake; frames the peer sent before its answer still arrive. */
  close (code = 1000, reason = ''): void {
    if (this.#state !== 'open') return
    this.#state = 'closing'
    this.#port.postMessage({ t: 'close', id: this.id, code, reason })
    this.#out.close(socketClosed())
  }

  /**
   * The worker's end, hibernating: closes the channel as `close` does, but
   * tells the other end to keep the connection behind it open with
   * `attachment`, for the worker that resumes. A relaying end passes the
   * frames its own worker never got as `unsent`.
   */
  park (attachment: unknown, code = 1001, reason = 'hibernating', unsent: SocketData[] = []): void {
    if (this.#state !== 'open') return
    this.#state = 'closing'
    this.#port.postMessage({ t: 'close', id: this.id, code, reason, park: { attachment }, ...(unsent.length > 0 && { unsent }) })
    this.#out.close(socketClosed())
  }

  /** Ends the channel at once on both sides; frames not yet delivered are dropped. */
  abort (err: Error = peerAborted()): void {
    if (this.#state === 'closed') return this.#discard()
    this.#port.postMessage({ t: 'abort', id: this.id, error: encodeError(err, 'SDK_ERR_ABORTED') })
    this.#end({ code: ABNORMAL_CLOSE, reason: '', error: err })
  }

  /**
   * The other end is about to stop (its worker may park the socket): frames
   * sent from now on stay here rather than reach a worker on its way out,
   * and `send` answers false. A park hands them back in its close
   * (`unsent`), so that the next worker gets them; any other close drops
   * them with the channel. A frame posted before this arrives before the
   * stop, which travels behind it.
   */
  hold (): void {
    this.#held ??= []
  }

  /** Holds 'message' events back, and with them the acknowledgements. */
  pause (): void { this.#paused = true }

  resume (): void {
    this.#paused = false
    this.#flush()
  }

  [receive] (m: ChannelMessage): void {
    switch (m.t) {
      case 'frame': {
        this.#lastActivity = Date.now()
        if (this.#head === this.#queue.length && this.#flowing()) return this.#deliver(m.data)
        this.#queue.push(m.data)
        this.#queuedBytes += frameBytes(m.data)
        if (this.#queuedBytes > this.queueLimit && this.#state === 'open') this.#overflow()
        return
      }
      case 'ack': return this.#out.acked(m.bytes)
      case 'close': {
        // The peer's answer to our close ends the handshake; its own close gets ours back.
        if (this.#state === 'open') this.#port.postMessage({ t: 'close', id: this.id, code: m.code, reason: m.reason })
        this.#closed({ code: m.code, reason: m.reason, ...(m.park && { parked: m.park, unsent: [...m.unsent ?? [], ...this.#held ?? []] }) })
        return this.#flush()
      }
      case 'abort': return this.#end({ code: ABNORMAL_CLOSE, reason: '', error: m.error ? decodeError(m.error) : peerAborted() })
      default: {
        const never: never = m
        throw new Error(`unhandled socket message ${(never as { t: string }).t}`)
      }
    }
  }

  /** The port is going away: ends the channel here without telling the peer. */
  [drop] (err: Error): void {
    if (this.#state === 'closed') return this.#discard()
    this.#end({ code: ABNORMAL_CLOSE, reason: '', error: err })
  }

  #flowing (): boolean { return !this.#paused && this.listenerCount('message') > 0 }

  /** The receiver fell a whole queue limit behind: what waits is dropped, both sides close with 1013. */
  #overflow (): void {
    this.#port.postMessage({ t: 'close', id: this.id, code: OVERFLOW_CLOSE, reason: 'send buffer full' })
    this.#end({ code: OVERFLOW_CLOSE, reason: 'send buffer full' })
  }

  #deliver (data: SocketData): void {
    this.emit('message', data)
    // Frames delivered after the channel closed need no room at the peer.
    if (this.#state !== 'closed') this.#in.took(frameBytes(data), true)
  }

  #flush (): void {
    while (this.#head < this.#queue.length && this.#flowing()) {
      const data = this.#queue[this.#head]
      this.#queue[this.#head++] = ''
      this.#queuedBytes -= frameBytes(data)
      this.#deliver(data)
    }
    if (this.#head === this.#queue.length && this.#head > 0) {
      this.#queue = []
      this.#head = 0
    }
    if (this.#head === this.#queue.length && this.#ending) {
      const close = this.#ending
      this.#ending = null
      this.emit('close', close)
    }
  }

  /** Over on both sides; 'close' waits for the frames still queued. */
  #closed (close: SocketClose): void {
    this.#state = 'closed'
    this.#table.delete(this.id)
    this.#out.close(socketClosed())
    this.#ending = close
  }

  #end (close: SocketClose): void {
    this.#closed(close)
    this.#discard()
  }

  /** Drops the frames not yet delivered; a close waiting behind them is emitted now. */
  #discard (): void {
    this.#queue = []
    this.#head = 0
    this.#queuedBytes = 0
    this.#flush()
  }
}
