import { promisify } from 'node:util'

type Callback = (...args: unknown[]) => void

/**
 * The timer globals of one session's context (kind context). They are the
 * thread's own timers, tracked, so that a session that stops leaves nothing
 * behind to run in its context, and guarded: a callback that throws fails
 * its own session (`onError`), never the thread and its other sessions.
 * `enter` runs before each callback, to mark whose code the thread runs.
 */
export class ContextTimers {
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #immediates = new Set<NodeJS.Immediate>()
  readonly #onError: (err: unknown) => void
  readonly #enter: () => void
  #disposed = false

  constructor (enter: () => void, onError: (err: unknown) => void) {
    this.#enter = enter
    this.#onError = onError
  }

  #run (fn: Callback, args: unknown[]): void {
    if (this.#disposed) return
    this.#enter()
    try {
      fn(...args)
    } catch (err) {
      this.#onError(err)
    }
  }

  /** The globals, bound to this session. */
  globals (): Record<string, unknown> {
    const setTimeoutFn = (fn: Callback, ms?: number, ...args: unknown[]) => {
      const t: NodeJS.Timeout = setTimeout(() => {
        this.#timers.delete(t)
        this.#run(fn, args)
      }, ms)
      this.#timers.add(t)
      return t
    }
    const setIntervalFn = (fn: Callback, ms?: number, ...args: unknown[]) => {
      const t = setInterval(() => this.#run(fn, args), ms)
      this.#timers.add(t)
      return t
    }
    const setImmediateFn = (fn: Callback, ...args: unknown[]) => {
      const t: NodeJS.Immediate = setImmediate(() => {
        this.#immediates.delete(t)
        this.#run(fn, args)
      })
      this.#immediates.add(t)
      return t
    }
    // util.promisify(setTimeout) and the like keep working, untracked (they hold no callback of the session's).
    Object.assign(setTimeoutFn, { [promisify.custom]: (setTimeout as unknown as Record<symbol, unknown>)[promisify.custom] })
    Object.assign(setImmediateFn, { [promisify.custom]: (setImmediate as unknown as Record<symbol, unknown>)[promisify.custom] })
    return {
      setTimeout: setTimeoutFn,
      setInterval: setIntervalFn,
      setImmediate: setImmediateFn,
      // A timer cleared by its number stays listed until the session ends: harmless, it is cleared.
      clearTimeout: (t?: NodeJS.Timeout | string | number) => {
        this.#timers.delete(t as NodeJS.Timeout)
        clearTimeout(t)
      },
      clearInterval: (t?: NodeJS.Timeout | string | number) => {
        this.#timers.delete(t as NodeJS.Timeout)
        clearInterval(t)
      },
      clearImmediate: (t?: NodeJS.Immediate) => {
        this.#immediates.delete(t as NodeJS.Immediate)
        clearImmediate(t)
      }
    }
  }

  /** Timers and immediates still pending. */
  get pending (): number { return this.#timers.size + this.#immediates.size }

  /** Cancels every pending timer; later callbacks are dropped. */
  dispose (): void {
    this.#disposed = true
    for (const t of this.#timers) clearTimeout(t)
    for (const t of this.#immediates) clearImmediate(t)
    this.#timers.clear()
    this.#immediates.clear()
  }
}
