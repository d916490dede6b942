/**
 * Bytes a sender has in flight on one stream before the receiver
 * acknowledges them. A sender posts a chunk, calls `sent`, and when that
 * answers false waits on `room()`: a slow reader slows the writer instead of
 * letting chunks pile up in the port's queue.
 */
export class FlowWindow {
  readonly limit: number
  #inFlight = 0
  #waiter: { resolve: () => void, reject: (e: Error) => void } | null = null
  #closed: Error | null = null

  constructor (limit: number) {
    this.limit = limit
  }

  /** Bytes sent and not yet acknowledged. */
  get inFlight (): number { return this.#inFlight }

  /** Counts bytes just posted; false when the sender must wait for room. */
  sent (bytes: number): boolean {
    this.#inFlight += bytes
    return this.#inFlight < this.limit
  }

  /** Resolves when the window has room again; rejects once the stream is over. */
  room (): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed)
    if (this.#inFlight < this.limit) return Promise.resolve()
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject } })
  }

  release (bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes)
    if (this.#waiter && this.#inFlight < this.limit) {
      const w = this.#waiter
      this.#waiter = null
      w.resolve()
    }
  }

  /** Fails the waiting sender and every later `room()`: the stream is over. */
  close (err: Error): void {
    if (this.#closed) return
    this.#closed = err
    const w = this.#waiter
    this.#waiter = null
    w?.reject(err)
  }
}

/** Window size per stream and the share after which a receiver acknowledges. */
export const WINDOW_BYTES = 1024 * 1024
export const ACK_EVERY_BYTES = WINDOW_BYTES / 4
