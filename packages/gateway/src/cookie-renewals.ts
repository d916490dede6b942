/**
 * Sessions whose cookie the gateway re-issued within the last window or two.
 * A client that keeps cookies sends the new one back and has nothing to
 * renew for a while; one that does not (a script, a load generator) sends
 * the old one again, and re-sealing and re-sending it on every request is
 * work for nothing: the cookie's seal, its JSON and its Set-Cookie header
 * took a tenth of the gateway's main thread under bench/request-path.ts
 * (--cpu-prof), whose clients send the cookies they logged in with. Such a
 * client gets the renewal again a window or two later, so its cookie dies
 * no sooner than it would have anyway. Two generations of a set: memory for
 * the sessions renewed lately, no timer.
 */
export class CookieRenewals {
  readonly #windowMs: number
  #current = new Set<string>()
  #previous = new Set<string>()
  #since: number

  constructor (windowMs: number, now = Date.now()) {
    this.#windowMs = windowMs
    this.#since = now
  }

  /** True, and remembered, when the session's cookie was not re-issued lately: the caller re-issues it. */
  claim (sessionId: string, now = Date.now()): boolean {
    const age = now - this.#since
    if (age >= this.#windowMs) {
      this.#previous = age < 2 * this.#windowMs ? this.#current : new Set()
      this.#current = new Set()
      this.#since = now
    }
    if (this.#current.has(sessionId) || this.#previous.has(sessionId)) return false
    this.#current.add(sessionId)
    return true
  }
}
