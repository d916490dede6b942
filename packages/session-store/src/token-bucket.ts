/**
 * A rate limit: `burst` at once, then `perSecond` on average. What bounds
 * `new` on the line protocol, per connection and for the whole listener.
 */
export class TokenBucket {
  #perMs: number
  #burst: number
  #tokens: number
  #at = Date.now()

  constructor (perSecond: number, burst: number) {
    this.#perMs = perSecond / 1000
    this.#burst = burst
    this.#tokens = burst
  }

  /** Takes one token if there is one. */
  take (): boolean {
    const now = Date.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs)
    this.#at = now
    if (this.#tokens < 1) return false
    this.#tokens--
    return true
  }
}
