/**
 * The touches of the hot path, collected: `touch(id)` costs a Map write,
 * and every `flushMs` (and on `flush()`) the ids seen since go to the
 * backend in one step (one transaction, one pipeline). A session's last use
 * is the time of its latest touch, not of the flush. A flush that fails
 * (Redis down) keeps its touches for the next one, so an outage loses no
 * last use, and the batch never holds more than one entry per session.
 */
export class TouchBatch {
  #pending = new Map<string, number>()
  #timer: NodeJS.Timeout | null = null
  #write: (seen: ReadonlyMap<string, number>) => Promise<void>
  #flushMs: number
  #closed = false

  constructor (flushMs: number, write: (seen: ReadonlyMap<string, number>) => Promise<void>) {
    this.#flushMs = flushMs
    this.#write = write
  }

  touch (id: string, at = Date.now()): void {
    if (this.#closed) return
    this.#pending.set(id, at)
    this.#arm()
  }

  has (id: string): boolean {
    return this.#pending.has(id)
  }

  get size (): number {
    return this.#pending.size
  }

  /** Writes every pending touch now; rejects when the backend did not take them (they stay pending). */
  async flush (): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    try {
      await this.#write(batch)
    } catch (err) {
      // A touch made during the failed write is newer: it wins.
      for (const [id, at] of batch) if (!this.#pending.has(id)) this.#pending.set(id, at)
      this.#arm()
      throw err
    }
  }

  /** The last flush; later touches are ignored. */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.flush()
  }

  #arm (): void {
    if (this.#timer || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      // A failed flush keeps its touches and re-arms: the next one tries again.
      this.flush().catch(() => {})
    }, this.#flushMs)
    // Never what keeps a process alive: close() flushes what is left.
    this.#timer.unref()
  }
}
