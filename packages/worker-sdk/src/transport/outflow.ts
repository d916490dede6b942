import type { MessageSink } from './message-sink.ts'
import { FlowWindow, WINDOW_BYTES } from './flow-window.ts'
import { countStreamedBytes } from './gc-pacer.ts'

/** A socket frame's share of the window: bytes, or a string's size in memory at most (two bytes a code unit). */
export const frameBytes = (data: string | Uint8Array): number => typeof data === 'string' ? data.length * 2 : data.byteLength

/**
 * The sending side of one stream id: a body's chunks or a socket's frames go
 * out under the peer's window, which its acks reopen. Made only once a body
 * streams, so that a request or response sent whole costs nothing here.
 * After `close` nothing more goes out: the exchange is over on this side.
 */
export class Outflow {
  readonly #port: MessageSink
  readonly #id: number
  readonly #window = new FlowWindow(WINDOW_BYTES)
  #closed = false

  constructor (port: MessageSink, id: number) {
    this.#port = port
    this.#id = id
  }

  get closed (): boolean { return this.#closed }
  /** Bytes posted that the peer has not acknowledged yet. */
  get inFlight (): number { return this.#window.inFlight }

  /** Posts one body chunk; false when the window is full and the sender must wait for `room()`. */
  chunk (chunk: Uint8Array): boolean {
    if (this.#closed) return false
    this.#port.postMessage({ t: 'chunk', id: this.#id, chunk })
    return this.counted(chunk.byteLength)
  }

  /** Posts one socket frame under the same window. */
  frame (data: string | Uint8Array): boolean {
    if (this.#closed) return false
    this.#port.postMessage({ t: 'frame', id: this.#id, data })
    return this.counted(frameBytes(data))
  }

  /** Counts bytes that went out inside another message (a response head's first chunk). */
  counted (bytes: number): boolean {
    countStreamedBytes(bytes)
    return this.#window.sent(bytes)
  }

  /** Posts the end of the body. */
  end (): void {
    if (this.#closed) return
    this.#port.postMessage({ t: 'end', id: this.#id })
  }

  /** Resolves when the peer has room again; rejects once closed. */
  room (): Promise<void> { return this.#window.room() }

  acked (bytes: number): void { this.#window.release(bytes) }

  /** Nothing more goes out; a sender waiting for room gets `err`. */
  close (err: Error): void {
    this.#closed = true
    this.#window.close(err)
  }
}
