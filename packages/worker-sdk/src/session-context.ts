import { constants, createContext, runInNewContext } from 'node:vm'
import type { Context } from 'node:vm'
import { ContextTimers } from './context-timers.ts'

/**
 * The host's globals that a fresh V8 context lacks (Node's and the web
 * platform's: process, Buffer, fetch, Request, Response, URL, streams…),
 * read once per thread. A context gets these same objects: the SDK's
 * request path builds a Request and checks the Response in the thread's own
 * context, so the handler must see the same classes. Its own are the
 * language's intrinsics (Object, Array, Promise, JSON, Error…) and its
 * global object, which is where per-session state and prototype changes go.
 */
const HOST_GLOBALS: ReadonlyArray<[string, PropertyDescriptor]> = (() => {
  const fresh = new Set(runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[])
  // V8 gives every context a console of its own that writes to the inspector only: the thread's writes to its output.
  fresh.delete('console')
  const own = new Set(['global', 'globalThis', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'])
  const host = globalThis as unknown as Record<string, unknown>
  return Object.getOwnPropertyNames(globalThis)
    .filter(name => !fresh.has(name) && !own.has(name))
    .map((name): [string, PropertyDescriptor] => {
      const d = Object.getOwnPropertyDescriptor(globalThis, name)!
      // Lazy getters (crypto, navigator…) are read now: a copied getter would look for the thread's global as `this`.
      return [name, { value: host[name], writable: true, configurable: true, enumerable: d.enumerable ?? false }]
    })
})()

/**
 * One session's V8 context on a shared thread (kind context): its own global
 * object and intrinsics, the host's platform objects, and timers of its own
 * that end with it. A plain global object (`DONT_CONTEXTIFY`), not a
 * contextified sandbox: global lookups then need no interceptor on every
 * access.
 */
export class SessionContext {
  readonly global: Context
  /** The context's own Object.prototype: every object made by this session's code leads to it. */
  readonly root: object
  #timers: ContextTimers | null = null

  /**
   * A fresh context, not yet any session's: making one is most of a new
   * session's start (about 1 ms), so a thread keeps one made ahead.
   */
  constructor () {
    const g = createContext(constants.DONT_CONTEXTIFY) as Record<string, unknown>
    for (const [key, desc] of HOST_GLOBALS) Object.defineProperty(g, key, desc)
    Object.defineProperty(g, 'global', { value: g, writable: true, configurable: true, enumerable: false })
    this.global = g
    this.root = (g.Object as ObjectConstructor).prototype
  }

  /** Makes it a session's: its timers mark the session as running (`enter`) and fail it alone (`onError`). */
  claim (enter: () => void, onError: (err: unknown) => void): this {
    this.#timers = new ContextTimers(enter, onError)
    for (const [key, value] of Object.entries(this.#timers.globals())) {
      Object.defineProperty(this.global, key, { value, writable: true, configurable: true, enumerable: true })
    }
    return this
  }

  /** Whether a value (an error, a promise) was made by this context's code. */
  owns (value: unknown): boolean {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
    let p: object | null = value
    for (let i = 0; i < 64 && p !== null; i++) {
      if (p === this.root) return true
      p = Object.getPrototypeOf(p) as object | null
    }
    return false
  }

  /** Timers still pending in this context. */
  get pendingTimers (): number { return this.#timers?.pending ?? 0 }

  /** Nothing of this session runs any more: its timers are cancelled. */
  dispose (): void {
    this.#timers?.dispose()
  }
}
