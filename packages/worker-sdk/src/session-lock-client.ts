// The lock rules of ctx.store, written once for every way a worker reaches
// its session's data:
//
//   SessionLockClient ── single ops ──────────────▶ backend.single   (until open)
//        │ open('rw') ── backend.lock() ─▶ L ─────▶ backend.under(L) (until commit)
//        │ commit()   ── backend.commit(L)
//        └ release()  ── backend.discard(L), and every later call fails (a dead worker)
//
// Backends: the store's HTTP API (http-store-client.ts, process workers and
// any HTTP client) and the store itself over a SessionStore (the
// supervisor's, for thread workers).
import type { SessionData, SessionDataOps } from './context.ts'
import { storeLockLost, storeModeInvalid, storeReadOnly, storeReleased } from './errors.ts'
import type { SdkError } from './errors.ts'

/**
 * Where one session's data lives, as the lock client needs it. `L` names a
 * held `rw` lock: a lock id over HTTP, a store handle in process.
 */
export interface LockBackend<L> {
  /** Single operations: reads see committed data and never wait; writes wait for the session's lock, apply and let go. */
  readonly single: SessionDataOps
  /** Takes the session's `rw` lock, waiting like any other writer (STORE_ERR_LOCK_TIMEOUT past the store's wait). */
  lock (): Promise<L>
  /** The data under a held lock: writes are staged until commit, and reads see them. */
  under (lock: L): SessionDataOps
  /** Writes what was staged and releases the lock; STORE_ERR_LOCK_LOST once its lease ended. */
  commit (lock: L): Promise<void>
  /** Releases the lock and drops what was staged. */
  discard (lock: L): Promise<void>
}

/** ctx.store as the one who made it holds it: `release()` ends it once its worker has gone. */
export interface ReleasableSessionData extends SessionData {
  /**
   * For a worker that exited or crashed: drops the `rw` lock still held,
   * without writing (another writer gets it at once), and ends this client.
   * Idempotent. Every later call fails, so that a call of the dead worker
   * still in flight can never land as a single operation: with
   * STORE_ERR_LOCK_LOST when a lock was dropped (as its fenced commit
   * would), else STORE_ERR_HANDLE_CLOSED.
   */
  release (): Promise<void>
}

/**
 * One session's data with the session fixed: each call is a single
 * operation until `open`. After `open('rw')` this client holds the
 * session's lock and every call goes under it, concurrent requests of the
 * worker included, until `commit`. `open('r')` refuses writes
 * (STORE_ERR_READ_ONLY) until `commit`. A client that never commits loses
 * the lock when its lease ends, and its late writes are refused.
 *
 * @example
 * const store = new SessionLockClient(backend)
 * await store.open('rw')
 * await store.put('visits', String(Number(await store.get('visits') ?? 0) + 1))
 * await store.commit()
 */
export class SessionLockClient<L> implements ReleasableSessionData {
  #b: LockBackend<L>
  /** The lock this client holds, boxed: L may be any value. */
  #held: { lock: L } | null = null
  #readOnly = false
  #ended: (() => SdkError) | null = null

  constructor (backend: LockBackend<L>) {
    this.#b = backend
  }

  #live (): void {
    if (this.#ended) throw this.#ended()
  }

  #reads (): SessionDataOps {
    this.#live()
    return this.#held ? this.#b.under(this.#held.lock) : this.#b.single
  }

  #writes (): SessionDataOps {
    this.#live()
    if (this.#held) return this.#b.under(this.#held.lock)
    if (this.#readOnly) throw storeReadOnly()
    return this.#b.single
  }

  /** Takes the lock off before awaiting, so that a call arriving meanwhile does not use a committing one. */
  #take (): { lock: L } | null {
    const held = this.#held
    this.#held = null
    this.#readOnly = false
    return held
  }

  async get (key: string): Promise<string | undefined> { return this.#reads().get(key) }
  async exists (key: string): Promise<boolean> { return this.#reads().exists(key) }
  async keys (): Promise<string[]> { return this.#reads().keys() }
  async getAll (): Promise<Record<string, string>> { return this.#reads().getAll() }
  async put (key: string, value: string): Promise<void> { return this.#writes().put(key, value) }
  async remove (key: string): Promise<void> { return this.#writes().remove(key) }

  async open (mode: 'r' | 'rw'): Promise<void> {
    this.#live()
    if (mode !== 'r' && mode !== 'rw') throw storeModeInvalid()
    if (mode === 'r') {
      // Reads of a client that holds the lock already go under it.
      if (!this.#held) this.#readOnly = true
      return
    }
    this.#readOnly = false
    // A lock held by another request of this worker is not taken from under
    // it: this open waits at the store like any other writer, until that one commits.
    const lock = await this.#b.lock()
    // Released while this open waited: the dead worker must not hold the lock for a whole lease.
    if (this.#ended) {
      await this.#b.discard(lock)
      throw this.#ended()
    }
    // Another open of this worker won meanwhile (its lease ran out under it): keep that one, hand this back.
    if (this.#held) await this.#b.discard(lock)
    else this.#held = { lock }
  }

  async commit (): Promise<void> {
    this.#live()
    const held = this.#take()
    if (held) await this.#b.commit(held.lock)
  }

  async release (): Promise<void> {
    if (this.#ended) return
    const held = this.#take()
    this.#ended = held ? storeLockLost : storeReleased
    if (held) await this.#b.discard(held.lock)
  }
}
