import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { FrameBoundary, serverCloseFrame } from '../ws-frame-boundary.ts'

/** How long a close waits for the frame the worker is in the middle of before the tunnel is cut. */
const FRAME_END_WAIT_MS = 1000

/**
 * An exec worker's WebSocket as bytes: the child's upgraded connection,
 * passed on unchanged in both directions with the stream's own
 * backpressure. It watches only where the child's frames end, so that
 * `closeWith` can end the client's socket with a proper close frame (1001
 * at an idle stop) instead of a cut connection, and when bytes last moved,
 * which is all the activity a tunnel shows (pings included: they are bytes
 * like any other).
 */
export class ExecTunnel extends Duplex {
  lastActivity = Date.now()
  readonly #child: Socket
  readonly #frames = new FrameBoundary()
  #closing: Buffer | null = null
  #ended = false

  constructor (child: Socket, head: Uint8Array) {
    super({ allowHalfOpen: false })
    this.#child = child
    child.on('data', (chunk: Buffer) => this.#fromChild(chunk))
    child.once('end', () => this.#end())
    child.once('close', () => this.destroy())
    child.on('error', () => { /* 'close' follows */ })
    if (head.byteLength > 0) this.#fromChild(Buffer.from(head))
  }

  override _read (): void {
    this.#child.resume()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.lastActivity = Date.now()
    this.#child.write(chunk, cb)
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.#child.end()
    cb()
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    this.#child.destroy()
    cb(err)
  }

  /** Ends the client's socket with a close frame of `code`, after the frame the worker is sending, if any. */
  closeWith (code: number, reason: string): void {
    if (this.#ended || this.#closing) return
    this.#closing = serverCloseFrame(code, reason)
    if (this.#frames.atBoundary) return this.#finish()
    setTimeout(() => this.destroy(), FRAME_END_WAIT_MS).unref()
  }

  #fromChild (chunk: Buffer): void {
    if (this.#ended) return
    this.lastActivity = Date.now()
    if (this.#closing) {
      const n = this.#frames.feed(chunk, true)
      if (n > 0) this.push(chunk.subarray(0, n))
      if (this.#frames.atBoundary) this.#finish()
      return
    }
    this.#frames.feed(chunk)
    if (!this.push(chunk)) this.#child.pause()
  }

  #finish (): void {
    this.push(this.#closing)
    this.#end()
    this.#child.destroy()
  }

  #end (): void {
    if (this.#ended) return
    this.#ended = true
    this.push(null)
  }
}
