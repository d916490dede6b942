import { exponentialDelay } from '@sessiond/supervisor'
export interface LoginThrottleOptions {
  /** Failures allowed before the first delay. */
  freeAttempts: number
  /** The first delay; each further failure doubles it. */
  delayMs: number
  /** No delay grows past this; a key quiet this long is forgotten. */
  maxDelayMs: number
  /** At most this many keys are remembered; the longest quiet ones go first. */
  maxKeys?: number
  now?: () => number
}

interface Entry { failures: number, blockedUntil: number, last: number }

/**
 * Failed logins counted per key (an account name, a client address): after
 * `freeAttempts` failures each further one locks the key for a delay that
 * doubles up to `maxDelayMs`. A locked key is answered 429 with Retry-After
 * without checking any password, so a guesser gains nothing by trying
 * faster. In memory: a restart forgets, and several hosts each count their
 * own (written down as a known limit in the issue).
 */
export class LoginThrottle {
  readonly #opts: Required<LoginThrottleOptions>
  // Insertion order is age order: an updated key is moved to the end.
  readonly #entries = new Map<string, Entry>()

  constructor (opts: LoginThrottleOptions) {
    this.#opts = { maxKeys: 100_000, now: Date.now, ...opts }
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfter (key: string): number {
    const e = this.#entries.get(key)
    if (!e) return 0
    const now = this.#opts.now()
    if (now - e.last > this.#opts.maxDelayMs && now >= e.blockedUntil) {
      this.#entries.delete(key)
      return 0
    }
    return Math.max(0, e.blockedUntil - now)
  }

  fail (key: string): void {
    const now = this.#opts.now()
    const { freeAttempts, delayMs, maxDelayMs, maxKeys } = this.#opts
    let e = this.#entries.get(key)
    if (e && now - e.last > maxDelayMs && now >= e.blockedUntil) e = undefined
    this.#entries.delete(key)
    e ??= { failures: 0, blockedUntil: 0, last: now }
    e.failures++
    e.last = now
    const over = e.failures - freeAttempts
    if (over > 0) e.blockedUntil = now + exponentialDelay(delayMs, maxDelayMs, over - 1)
    this.#entries.set(key, e)
    if (this.#entries.size > maxKeys) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  succeed (key: string): void {
    this.#entries.delete(key)
  }

  get size (): number {
    return this.#entries.size
  }
}
