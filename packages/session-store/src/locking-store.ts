import { emptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { LockTimeoutError, ModeInvalidError } from './errors.ts'
import { checkKey, checkValue } from './limits.ts'
import { DEFAULT_TIMINGS, isBusy } from './locking-backend.ts'
import type { Busy, LockingBackend, LockTimings } from './locking-backend.ts'
import { LockWaiters } from './lock-waiters.ts'
import { checkedEntries, StoreSessionHandle } from './session-handle.ts'
import type { LockMode, OpenOptions, SessionHandle, SessionRecord, SessionStore } from './store.ts'

/** A waiter looks again at least this often, for releases made by other processes or hosts. */
const MAX_POLL_MS = 50

/**
 * The locking rules, once for every backend: `open`, the auto-locked single
 * writes and `regenerateId`, built on a backend's atomic steps.
 */
export abstract class LockingStore implements SessionStore, LockingBackend {
  abstract readonly kind: string
  readonly waiters = new LockWaiters()
  readonly timings: Readonly<LockTimings>
  #endListeners = new Set<(id: string) => void>()

  constructor (timings: Partial<LockTimings> = {}) {
    // A setting given as undefined (an optional config field) means the default, not NaN.
    const given = Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined))
    this.timings = Object.freeze({ ...DEFAULT_TIMINGS, ...given })
  }

  abstract create (user: string, ttlMs: number): Promise<SessionRecord>
  abstract lookup (id: string): Promise<SessionRecord | null>
  abstract destroy (id: string): Promise<boolean>
  abstract get (id: string, key: string): Promise<string | undefined>
  abstract exists (id: string, key: string): Promise<boolean>
  abstract keys (id: string): Promise<string[]>
  abstract getAll (id: string): Promise<Record<string, string>>
  abstract gc (now?: number): Promise<number>
  abstract close (): Promise<void>
  abstract touch (id: string): Promise<void>
  abstract tryLock (id: string, leaseMs: number): Promise<number | Busy>
  abstract apply (id: string, token: number | null, delta: DataDelta, release: boolean): Promise<Busy | null>
  abstract move (id: string, token: number | null): Promise<string | Busy>

  onSessionEnd (listener: (id: string) => void): () => void {
    this.#endListeners.add(listener)
    return () => { this.#endListeners.delete(listener) }
  }

  /** A backend calls this once an id is gone (destroyed, or moved by regenerate_id). */
  protected ended (id: string): void {
    this.waiters.notify(id)
    for (const listener of this.#endListeners) {
      try {
        listener(id)
      } catch {
        // A listener's failure is its own: the id is gone either way.
      }
    }
  }

  async open (id: string, mode: LockMode, opts: OpenOptions = {}): Promise<SessionHandle> {
    const regenerate = (from: string) => this.regenerateId(from)
    if (mode === 'r') {
      await this.touch(id)
      return new StoreSessionHandle(this, id, null, 0, regenerate)
    }
    if (mode !== 'rw') throw new ModeInvalidError()
    const leaseMs = this.timings.leaseMs
    let attemptAt = 0
    const token = await this.#waitFor(id, opts.waitMs ?? this.timings.lockWaitMs, () => {
      attemptAt = Date.now()
      return this.tryLock(id, leaseMs)
    })
    // Counted from before the winning attempt, the local lease end never trails the stored one: this side stops writing first.
    return new StoreSessionHandle(this, id, token, attemptAt + leaseMs, regenerate)
  }

  async put (id: string, key: string, value: string): Promise<void> {
    checkKey(key)
    checkValue(value)
    const d = emptyDelta()
    d.set.set(key, value)
    await this.#write(id, d)
  }

  async remove (id: string, key: string): Promise<void> {
    checkKey(key)
    const d = emptyDelta()
    d.del.add(key)
    await this.#write(id, d)
  }

  async putAll (id: string, data: Record<string, string>): Promise<void> {
    const d = emptyDelta()
    d.clear = true
    d.set = new Map(checkedEntries(data))
    await this.#write(id, d)
  }

  async regenerateId (id: string): Promise<string> {
    return this.#waitFor(id, this.timings.lockWaitMs, () => this.move(id, null))
  }

  /** A single write: waits for the lock to be free, then applies in one atomic step. */
  async #write (id: string, delta: DataDelta): Promise<void> {
    await this.#waitFor(id, this.timings.lockWaitMs, async () => (await this.apply(id, null, delta, false)) ?? true)
  }

  async #waitFor<T> (id: string, waitMs: number, attempt: () => Promise<T | Busy>): Promise<T> {
    const deadline = Date.now() + waitMs
    let poll = 2
    for (;;) {
      const mark = this.waiters.mark
      const r = await attempt()
      if (!isBusy(r)) return r
      const now = Date.now()
      if (now >= deadline) throw new LockTimeoutError(waitMs)
      // Wake at the earliest of: a local release, the holder's lease end, the next poll, the deadline.
      await this.waiters.wait(id, Math.min(deadline - now, Math.max(1, r.lockedUntil - now), poll), mark)
      poll = Math.min(poll * 2, MAX_POLL_MS)
    }
  }
}
