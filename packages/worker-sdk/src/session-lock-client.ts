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
/** A held lock, boxed (L may be any value); `lost` once the store failed under it. */
interface Held<L> { lock: L, lost: boolean }

const LOST_IN_OUTAGE = 'when the session store could not be reached while it was held'

export class SessionLockClient<L> implements ReleasableSessionData {
  #b: LockBackend<L>
  #held: Held<L> | null = null
  #readOnly = false
  #ended: (() => SdkError) | null = null

  constructor (backend: LockBackend<L>) {
    this.#b = backend
  }

  #live (): void {
    if (this.#ended) throw this.#ended()
  }

  async #read<T> (op: (ops: SessionDataOps) => Promise<T>): Promise<T> {
    this.#live()
    const held = this.#held
    return held ? this.#under(held, op) : op(this.#b.single)
  }

  async #write<T> (op: (ops: SessionDataOps) => Promise<T>): Promise<T> {
    this.#live()
    const held = this.#held
    if (held) return this.#under(held, op)
    if (this.#readOnly) throw storeReadOnly()
    return op(this.#b.single)
  }

  /**
   * A call under the held lock. One that finds the store unreachable ends
   * the lock: the store may come back without it (or with it, and nobody to
   * release it), and a handler that gave up on its request would otherwise
   * leave it held for the whole lease, blocking every writer of the session
   * (issue 15, finding 6). It is handed back at once (the store retries the
   * release until it lands), and this lock's later calls fail with
   * STORE_ERR_LOCK_LOST until `commit` or the next `open('rw')`.
   */
  async #under<T> (held: Held<L>, op: (ops: SessionDataOps) => Promise<T>): Promise<T> {
    if (held.lost) throw storeLockLost(LOST_IN_OUTAGE)
    try {
      return await op(this.#b.under(held.lock))
    } catch (err) {
      if (!held.lost && (err as { code?: string } | null)?.code === 'STORE_ERR_UNAVAILABLE') {
        held.lost = true
        this.#b.discard(held.lock).catch(() => { /* the store releases it once it answers again */ })
      }
      throw err
    }
  }

  /** Takes the lock off before awaiting, so that a call arriving meanwhile does not use a committing one. */
  #take (): Held<L> | null {
    const held = this.#held
    this.#held = null
    this.#readOnly = false
    return held
  }

  async get (key: string): Promise<string | undefined> { return this.#read(ops => ops.get(key)) }
  async exists (key: string): Promise<boolean> { return this.#read(ops => ops.exists(key)) }
  async keys (): Promise<string[]> { return this.#read(ops => ops.keys()) }
  async getAll (): Promise<Record<string, string>> { return this.#read(ops => ops.getAll()) }
  async put (key: string, value: string): Promise<void> { return this.#write(ops => ops.put(key, value)) }
  async remove (key: string): Promise<void> { return this.#write(ops => ops.remove(key)) }

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
    if (this.#held && !this.#held.lost) await this.#b.discard(lock)
    else this.#held = { lock, lost: false }
  }

  async commit (): Promise<void> {
    this.#live()
    const held = this.#take()
    if (held?.lost) throw storeLockLost(LOST_IN_OUTAGE)
    if (held) await this.#b.commit(held.lock)
  }

  async release (): Promise<void> {
    if (this.#ended) return
    const held = this.#take()
    this.#ended = held ? () => storeLockLost('when the worker ended') : storeReleased
    if (held && !held.lost) await this.#b.discard(held.lock)
  }
}
