import { WorkerQueueFullError, WorkerQueueTimeoutError, withRetryAfter } from './errors.ts'

interface Waiter {
  resolve: (admitted: boolean) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
  /** When it began to wait (ms), for the queue-wait histogram. */
  since: number
}

/** Who hears of the queue: the realm's counters (realm-counters.ts). */
export interface GateObserver {
  /** A waiter was admitted after `ms` in the queue. */
  waited (ms: number): void
  /** The queue is now this long. */
  queued (depth: number): void
}

/**
 * Admission to one worker: at most `concurrency` requests at once, then a
 * bounded queue whose waiters give up after `queueTimeout`. Beyond either
 * bound a request gets 503 with Retry-After at once, so a slow worker costs
 * its own session a refusal, never the daemon an unbounded queue.
 *
 * A finished request hands its slot straight to the oldest waiter, so a
 * waiter cannot be overtaken by a request that arrived after it.
 */
export class RequestGate {
  #active = 0
  #waiters: Waiter[] = []
  #head = 0
  #concurrency: number
  #queue: number
  #queueTimeout: number
  #realm: string
  #idle: Array<() => void> = []
  #admitted = 0
  #observer: GateObserver | undefined

  constructor (realm: string, concurrency: number, queue: number, queueTimeout: number, observer?: GateObserver) {
    this.#realm = realm
    this.#observer = observer
    this.#concurrency = concurrency
    this.#queue = queue
    this.#queueTimeout = queueTimeout
  }

  get active (): number { return this.#active }
  get queued (): number { return this.#waiters.length - this.#head }
  /** Requests let through so far: the worker's requests served (an integer increment on the hot path, nothing more). */
  get admitted (): number { return this.#admitted }

  /** Takes a slot if one is free: the hot path, no promise. */
  tryEnter (): boolean {
    if (this.#active >= this.#concurrency || this.queued > 0) return false
    this.#active++
    this.#admitted++
    return true
  }

  /**
   * Waits for a slot. Resolves true once the slot is the caller's, false
   * when the gate closed meanwhile (its worker is gone: dispatch again).
   */
  wait (): Promise<boolean> {
    if (this.queued >= this.#queue) {
      return Promise.reject(withRetryAfter(new WorkerQueueFullError(this.#realm, this.#concurrency, this.#queue), 1))
    }
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter, this.#head)
          if (i !== -1) this.#waiters.splice(i, 1)
          reject(withRetryAfter(new WorkerQueueTimeoutError(this.#realm, this.#queueTimeout), this.#queueTimeout / 1000))
        }, this.#queueTimeout),
        since: Date.now()
      }
      this.#waiters.push(waiter)
      this.#observer?.queued(this.queued)
    })
  }

  /** Gives the slot back, or to the oldest waiter. */
  leave (): void {
    const next = this.#shift()
    if (next) {
      this.#admitted++
      this.#observer?.waited(Date.now() - next.since)
      return next.resolve(true)
    }
    this.#active--
    if (this.#active === 0 && this.#idle.length > 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  /** Resolves once nothing is in progress and nobody waits: what a move waits for before its worker hibernates. */
  idle (): Promise<void> {
    if (this.#active === 0 && this.queued === 0) return Promise.resolve()
    return new Promise(resolve => this.#idle.push(resolve))
  }

  /** The worker is gone: every waiter is told to dispatch again. */
  close (): void {
    for (let w = this.#shift(); w; w = this.#shift()) w.resolve(false)
  }

  #shift (): Waiter | undefined {
    if (this.#head === this.#waiters.length) return undefined
    const w = this.#waiters[this.#head++]
    clearTimeout(w.timer)
    // Compact now and then rather than shifting the array on every hand-over.
    if (this.#head > 64 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head)
      this.#head = 0
    }
    return w
  }
}
