import type { MessageSink } from './message-sink.ts'
import { ACK_EVERY_BYTES } from './flow-window.ts'
import { countStreamedBytes } from './gc-pacer.ts'

/**
 * The receiving side of one stream id: counts what the consumer has taken
 * and acknowledges it, every ACK_EVERY_BYTES while the consumer keeps up,
 * and at once when it asks for more after falling behind. Bytes the
 * consumer has not taken are never acknowledged, so a slow consumer holds
 * the sender at one window.
 */
export class Inflow {
  readonly #port: MessageSink
  readonly #id: number
  #unacked = 0
  /** Set while the consumer is slower than the sender. */
  #paused = false

  constructor (port: MessageSink, id: number) {
    this.#port = port
    this.#id = id
  }

  /** The consumer took `bytes`; `more` tells whether it wants more right away. */
  took (bytes: number, more: boolean): void {
    this.#unacked += bytes
    countStreamedBytes(bytes)
    if (more) this.#ack(false)
    else this.#paused = true
  }

  /** The consumer asks for more: what it held back is acknowledged now. */
  pulled (): void {
    if (!this.#paused) return
    this.#paused = false
    this.#ack(true)
  }

  #ack (force: boolean): void {
    if (this.#unacked === 0 || (!force && this.#unacked < ACK_EVERY_BYTES)) return
    this.#port.postMessage({ t: 'ack', id: this.#id, bytes: this.#unacked })
    this.#unacked = 0
  }
}
