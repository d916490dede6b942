import { isEmptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { LockLostError } from './errors.ts'
import type { LockWaiters } from './lock-waiters.ts'

/** An attempt found the session locked by another holder until this time. */
export interface Busy { lockedUntil: number }

export function isBusy (v: unknown): v is Busy {
  return typeof v === 'object' && v !== null && 'lockedUntil' in v
}

/** A session's lock as a backend stores it; null fields (or no lock at all) when nobody took it. */
export interface StoredLock { token: number | null, until: number | null }

/**
 * The rule of `apply` and `move` (see LockingBackend), for the backends that
 * check it in JS; redis-scripts.ts has the same rule in Lua. `delta` is null
 * for a move, which is never a no-op. Answers 'lost' for an empty delta
 * whose lock is gone, which the caller then skips.
 */
export function checkLock (lock: StoredLock | null, token: number | null, delta: DataDelta | null, now: number): Busy | 'ok' | 'lost' {
  const held = lock !== null && lock.token !== null && lock.until !== null && lock.until > now
  if (token === null) return held ? { lockedUntil: lock.until as number } : 'ok'
  if (held && lock.token === token) return 'ok'
  if (delta === null || !isEmptyDelta(delta)) throw new LockLostError()
  return 'lost'
}

export interface LockTimings {
  /** How long a `rw` open or a single write waits for another writer. */
  lockWaitMs: number
  /** How long a `rw` holder keeps the lock without committing. */
  leaseMs: number
  /** A session not used (touched, opened or written) for this long expires; 0: only the absolute expiry counts. */
  idleMs: number
  /**
   * How often touches are written, together (touch-batch.ts). When not
   * given: 5 s, or a quarter of idleMs when that is shorter, so that a
   * session in use never looks idle to the store.
   */
  touchFlushMs: number
}

export const DEFAULT_TIMINGS: Readonly<LockTimings> = Object.freeze({ lockWaitMs: 10_000, leaseMs: 30_000, idleMs: 0, touchFlushMs: 5_000 })

/**
 * The few atomic steps a backend provides; LockingStore builds the locking
 * rules on them, the same for every backend, and adds to `apply`, `move`
 * and `destroy` the local wake-ups and end reports. Each step is one transaction
 * (SQLite), one Lua script (Redis) or one synchronous turn (memory), so
 * check-then-write races cannot happen. Every step fails with
 * STORE_ERR_NO_SESSION on a missing or expired session.
 *
 * A token is the session's fencing counter at the time its lock was taken:
 * it only grows, so a holder whose lease ended can never write again.
 */
export interface LockingBackend {
  readonly waiters: LockWaiters
  readonly timings: Readonly<LockTimings>
  /** Takes the lock for `leaseMs` and answers its token, or Busy. */
  tryLock (id: string, leaseMs: number): Promise<number | Busy>
  /**
   * token null: apply only while nobody holds the lock (else Busy).
   * token n: apply only while n holds it, else STORE_ERR_LOCK_LOST (an
   * empty delta is then a no-op). `release` drops the lock afterwards.
   */
  apply (id: string, token: number | null, delta: DataDelta, release: boolean): Promise<Busy | null>
  /** Moves the session, its data and its lock to a fresh id, under the same rules as `apply`. */
  move (id: string, token: number | null): Promise<string | Busy>
  get (id: string, key: string): Promise<string | undefined>
  exists (id: string, key: string): Promise<boolean>
  keys (id: string): Promise<string[]>
  getAll (id: string): Promise<Record<string, string>>
  destroy (id: string): Promise<boolean>
}
