import { Readable } from 'node:stream'

/** How much of a request body is kept for sending it again: beyond it, a request cannot be replayed. */
export const REPLAY_BYTES = 1024 * 1024

/**
 * A request body that can be sent again to another host: what was sent of
 * it before an answer came is kept (at most `limit` bytes), so that a
 * request refused by a supervisor (a stale placement, a move, a host lost
 * before it answered) goes to the next host whole. Once an answer arrives
 * (`answered()`) nothing more is kept. The body still streams, pulled as
 * the wire takes it, never read whole first.
 *
 * One puller reads the source into a log of chunks; an attempt reads the
 * log from its start, then pulls more. A newer attempt supersedes an older
 * one, which stops reading: chunks an abandoned attempt pulled are in the
 * log all the same.
 */
export class ReplayBody {
  #source: AsyncIterator<Uint8Array>
  #log: Uint8Array[] = []
  /** The absolute index of #log[0]. */
  #base = 0
  /** The active attempt's absolute position. */
  #cursor = 0
  #active = 0
  #bytes = 0
  #keeping = true
  #overflow = false
  #done = false
  #pulling: Promise<void> | null = null
  #limit: number

  constructor (source: Readable, limit = REPLAY_BYTES) {
    this.#source = source[Symbol.asyncIterator]()
    this.#limit = limit
  }

  /** Whether a new attempt can send the body whole. */
  get replayable (): boolean {
    return !this.#overflow
  }

  /** An answer came: nothing needs to be sent again. */
  answered (): void {
    this.#keeping = false
    this.#trim()
  }

  /** The body for one attempt, from its first byte. */
  attempt (): Readable {
    const id = ++this.#active
    this.#cursor = this.#base
    return Readable.from(this.#chunks(id), { objectMode: false })
  }

  async * #chunks (id: number): AsyncGenerator<Uint8Array> {
    for (;;) {
      // A newer attempt took over: this one's reader was given up.
      if (id !== this.#active) return
      const at = this.#cursor - this.#base
      if (at < this.#log.length) {
        const chunk = this.#log[at]
        this.#cursor++
        if (!this.#keeping) this.#trim()
        yield chunk
        continue
      }
      if (this.#done) return
      await this.#pull()
    }
  }

  /** Drops what the active attempt has sent, once nothing will be sent again. */
  #trim (): void {
    const n = this.#cursor - this.#base
    if (n <= 0) return
    this.#log.splice(0, n)
    this.#base += n
  }

  #pull (): Promise<void> {
    this.#pulling ??= this.#source.next().then(({ value, done }) => {
      if (done) {
        this.#done = true
        return
      }
      const chunk = value as Uint8Array
      this.#log.push(chunk)
      if (!this.#keeping) return
      this.#bytes += chunk.byteLength
      if (this.#bytes > this.#limit) {
        this.#overflow = true
        this.#keeping = false
      }
    }).finally(() => { this.#pulling = null })
    return this.#pulling
  }
}
