import { exponentialDelay } from './exponential-delay.ts'
export interface CrashBackoffOptions {
  /** Crashes within `windowMs` that start a backoff. */
  limit: number
  windowMs: number
  /** The first backoff; each further crash in the window doubles it, up to `maxMs`. */
  baseMs: number
  maxMs: number
}

export const DEFAULT_CRASH_BACKOFF: CrashBackoffOptions = { limit: 3, windowMs: 60_000, baseMs: 1_000, maxMs: 60_000 }

interface Slot { crashes: number[], until: number }

/**
 * Remembers crashes per (session, realm) slot. A worker that keeps dying
 * is not restarted on every request: after `limit` crashes within the window
 * its slot waits, exponentially longer each time, and requests meanwhile get
 * 503 with Retry-After instead of feeding a crash loop.
 */
export class CrashBackoff {
  #opts: CrashBackoffOptions
  #slots = new Map<string, Slot>()

  constructor (opts: CrashBackoffOptions = DEFAULT_CRASH_BACKOFF) {
    this.#opts = opts
  }

  /** Counts a crash; answers the backoff it starts (ms), or 0 when the slot may start again at once. */
  record (key: string, now = Date.now()): number {
    const { limit, windowMs, baseMs, maxMs } = this.#opts
    let slot = this.#slots.get(key)
    if (!slot) this.#slots.set(key, slot = { crashes: [], until: 0 })
    slot.crashes = slot.crashes.filter(t => now - t < windowMs)
    slot.crashes.push(now)
    const over = slot.crashes.length - limit
    if (over < 0) return 0
    const wait = exponentialDelay(baseMs, maxMs, over)
    slot.until = now + wait
    return wait
  }

  /** Milliseconds until the slot may start a worker again; 0 when it may now. */
  wait (key: string, now = Date.now()): number {
    const slot = this.#slots.get(key)
    if (!slot) return 0
    if (slot.until <= now && slot.crashes.every(t => now - t >= this.#opts.windowMs)) this.#slots.delete(key)
    return Math.max(0, slot.until - now)
  }

  forget (key: string): void {
    this.#slots.delete(key)
  }
}
