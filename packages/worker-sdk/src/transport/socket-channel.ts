import { EventEmitter } from 'node:events'
import type { MessagePort } from 'node:worker_threads'
import { peerAborted, socketClosed } from '../errors.ts'
import { decodeError, encodeError } from './error-codec.ts'
import { Inflow } from './inflow.ts'
import type { AbortMessage, AckMessage, CloseMessage, FrameMessage, HeaderList } from './messages.ts'
import { Outflow, frameBytes } from './outflow.ts'

/** A text frame is a string, a binary one bytes. */
export type SocketData = string | Uint8Array

/** How a channel ended: the close code and reason the peer sent, or 1006 and the error of an abort. */
export interface SocketClose {
  code: number
  reason: string
  error?: Error
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
  readonly #port: MessagePort
  readonly #table: Map<number, SocketChannel>
  readonly #out: Outflow
  readonly #in: Inflow
  #state: 'open' | 'closing' | 'closed' = 'open'
  #paused = false
  #draining = false
  /** Frames received and not yet delivered; `#head` is the next one. */
  #queue: SocketData[] = []
  #head = 0
  /** The close to emit once the queued frames are delivered. */
  #ending: SocketClose | null = null

  /** Made by the end that owns the port, which routes this id's messages to it through `table`. */
  constructor (port: MessagePort, id: number, table: Map<number, SocketChannel>, headers: HeaderList) {
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

  /** Sends one frame; false when the peer's window is full: wait for 'drain' before sending more. */
  send (data: SocketData): boolean {
    if (this.#state !== 'open') throw socketClosed()
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

  /** Ends the channel at once on both sides; frames not yet delivered are dropped. */
  abort (err: Error = peerAborted()): void {
    if (this.#state === 'closed') return this.#discard()
    this.#port.postMessage({ t: 'abort', id: this.id, error: encodeError(err, 'SDK_ERR_ABORTED') })
    this.#end({ code: ABNORMAL_CLOSE, reason: '', error: err })
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
        if (this.#head === this.#queue.length && this.#flowing()) this.#deliver(m.data)
        else this.#queue.push(m.data)
        return
      }
      case 'ack': return this.#out.acked(m.bytes)
      case 'close': {
        // The peer's answer to our close ends the handshake; its own close gets ours back.
        if (this.#state === 'open') this.#port.postMessage({ t: 'close', id: this.id, code: m.code, reason: m.reason })
        this.#closed({ code: m.code, reason: m.reason })
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

  #deliver (data: SocketData): void {
    this.emit('message', data)
    // Frames delivered after the channel closed need no room at the peer.
    if (this.#state !== 'closed') this.#in.took(frameBytes(data), true)
  }

  #flush (): void {
    while (this.#head < this.#queue.length && this.#flowing()) {
      const data = this.#queue[this.#head]
      this.#queue[this.#head++] = ''
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
    this.#flush()
  }
}
