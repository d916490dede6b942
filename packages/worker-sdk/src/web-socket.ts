import { serialize } from 'node:v8'
import { attachmentTooLarge } from './errors.ts'
import type { SocketChannel, SocketClose, SocketData } from './transport/socket-channel.ts'

/** What a socket keeps across hibernation is small: Durable Objects' limit, for the same reason. */
export const MAX_ATTACHMENT_BYTES = 2048

type Listener = ((event: Event) => void) | null
type Sendable = string | ArrayBufferLike | ArrayBufferView | Blob

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** Close codes an endpoint may send in a close frame. */
export function sendableCode (code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/** Bytes that go out on their own: a view into a larger buffer would clone all of that buffer. */
function exactBytes (data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    const u8 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    return u8.byteLength === data.buffer.byteLength ? u8 : u8.slice()
  }
  return new Uint8Array(data)
}

/**
 * A WebSocket as a handler sees it, from `ctx.upgradeWebSocket(request)`:
 * the standard shape (`send`, `close`, `readyState`, `binaryType`,
 * `bufferedAmount`, `addEventListener('message' | 'close' | 'error')` and
 * the `on…` properties), over the worker's transport to the gateway, which
 * terminates the client's connection. Two additions: `serializeAttachment`
 * keeps a small structured-cloneable value with the socket, which survives
 * the worker's hibernation (the gateway holds the socket open meanwhile and
 * hands it to the next worker with the value), and a `drain` event once
 * `bufferedAmount` falls after the gateway's window filled.
 *
 * Messages wait at the gateway, with backpressure, until the handler adds
 * its first listener; a handler that is slower than its client slows the
 * client down rather than growing a buffer.
 *
 * @example
 * const { socket, response } = ctx.upgradeWebSocket(request)
 * socket.serializeAttachment({ joined: Date.now() })
 * socket.addEventListener('message', (e) => socket.send(`echo: ${e.data}`))
 * return response
 */
export class WorkerWebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING
  static readonly OPEN = OPEN
  static readonly CLOSING = CLOSING
  static readonly CLOSED = CLOSED
  readonly CONNECTING = CONNECTING
  readonly OPEN = OPEN
  readonly CLOSING = CLOSING
  readonly CLOSED = CLOSED
  readonly url: string
  /** The subprotocol the handler chose, or ''. */
  readonly protocol: string
  readonly extensions = ''
  binaryType: 'blob' | 'arraybuffer' = 'blob'
  readonly #channel: SocketChannel
  #attachment: unknown = null
  #listening = false
  /** Blobs read before they go out, so that frames keep the order of the send() calls. */
  #sending: Promise<void> | null = null
  #handlers: Record<string, Listener> = {}

  /** Made by `ctx.upgradeWebSocket`; `attachment` is what a resumed socket was parked with. */
  constructor (channel: SocketChannel, url: string, protocol: string, attachment: unknown = null) {
    super()
    this.#channel = channel
    this.url = url
    this.protocol = protocol
    this.#attachment = attachment
  }

  get readyState (): number {
    const s = this.#channel.state
    return s === 'open' ? OPEN : s === 'closing' ? CLOSING : CLOSED
  }

  /** Bytes sent that the gateway has not yet passed on towards the client. */
  get bufferedAmount (): number { return this.#channel.bufferedAmount }

  get onmessage (): Listener { return this.#handlers.message ?? null }
  set onmessage (fn: Listener) { this.#setHandler('message', fn) }
  get onclose (): Listener { return this.#handlers.close ?? null }
  set onclose (fn: Listener) { this.#setHandler('close', fn) }
  get onerror (): Listener { return this.#handlers.error ?? null }
  set onerror (fn: Listener) { this.#setHandler('error', fn) }
  /** Never fires: the socket is open by the time the handler has it. */
  get onopen (): Listener { return this.#handlers.open ?? null }
  set onopen (fn: Listener) { this.#setHandler('open', fn) }

  override addEventListener (type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean): void {
    super.addEventListener(type, listener, options)
    this.#listen()
  }

  send (data: Sendable): void {
    if (this.readyState !== OPEN) return
    if (data instanceof Blob || this.#sending) {
      const previous = this.#sending ?? Promise.resolve()
      const turn: Promise<void> = previous
        .then(() => data instanceof Blob ? data.arrayBuffer() : data)
        .then((d) => {
          if (this.#sending === turn) this.#sending = null
          this.#sendNow(d)
        })
      this.#sending = turn
      return
    }
    this.#sendNow(data)
  }

  /** `code`: any a server may send (RFC 6455 §7.4: 1000-1003, 1007-1014, 3000-4999); 1000 when absent. */
  close (code?: number, reason = ''): void {
    if (code !== undefined && !sendableCode(code)) {
      throw new DOMException(`close code ${code} is not one an endpoint may send`, 'InvalidAccessError')
    }
    if (Buffer.byteLength(reason) > 123) throw new DOMException('a close reason is at most 123 bytes', 'SyntaxError')
    this.#channel.close(code ?? 1000, reason)
  }

  /**
   * Keeps `value` with this socket: structured-cloned now, at most
   * MAX_ATTACHMENT_BYTES once serialized. It outlives the worker's
   * hibernation; the socket the next worker gets back returns it from
   * `deserializeAttachment()`.
   */
  serializeAttachment (value: unknown): void {
    // structuredClone first: what cannot be cloned is a DataCloneError, as for postMessage.
    const copy = structuredClone(value)
    const bytes = serialize(copy).byteLength
    if (bytes > MAX_ATTACHMENT_BYTES) throw attachmentTooLarge(bytes, MAX_ATTACHMENT_BYTES)
    this.#attachment = copy
  }

  /** A copy of the value last kept with `serializeAttachment`, or null. */
  deserializeAttachment (): unknown {
    return structuredClone(this.#attachment)
  }

  /** The worker is hibernating: the gateway keeps the client's connection open with the attachment. */
  park (): void {
    this.#channel.park(this.#attachment)
  }

  /** The worker is stopping for good: the client is told why with `code`. */
  end (code: number, reason: string): void {
    this.#channel.close(code, reason)
  }

  #sendNow (data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.#channel.state !== 'open') return
    this.#channel.send(typeof data === 'string' ? data : exactBytes(data))
  }

  #setHandler (type: string, fn: Listener): void {
    const old = this.#handlers[type]
    if (old) this.removeEventListener(type, old)
    this.#handlers[type] = typeof fn === 'function' ? fn : null
    if (typeof fn === 'function') this.addEventListener(type, fn)
  }

  /**
   * Frames flow from the first listener on: until then they wait in the
   * channel, so none is lost between `upgradeWebSocket` and the handler's
   * `addEventListener`.
   */
  #listen (): void {
    if (this.#listening) return
    this.#listening = true
    const channel = this.#channel
    channel.on('message', (data: SocketData) => {
      const payload = typeof data === 'string' ? data : this.binaryType === 'arraybuffer' ? data.slice().buffer : new Blob([data as Uint8Array<ArrayBuffer>])
      this.dispatchEvent(new MessageEvent('message', { data: payload, origin: new URL(this.url).origin }))
    })
    channel.on('drain', () => this.dispatchEvent(new Event('drain')))
    channel.once('close', (close: SocketClose) => {
      if (close.error) this.dispatchEvent(new Event('error'))
      this.dispatchEvent(new CloseEvent('close', { code: close.code, reason: close.reason, wasClean: !close.error }))
    })
  }
}
