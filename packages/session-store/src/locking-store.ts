import { emptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { LockTimeoutError, ModeInvalidError, NoSessionError } from './errors.ts'
import { checkedEntries, checkKey, checkValue } from './limits.ts'
import { DEFAULT_TIMINGS, isBusy } from './locking-backend.ts'
import type { Busy, LockingBackend, LockTimings } from './locking-backend.ts'
import { LockWaiters } from './lock-waiters.ts'
import { StoreSessionHandle } from './session-handle.ts'
import { TouchBatch } from './touch-batch.ts'
import { OrphanLocks, isUnavailable } from './orphan-locks.ts'
import type { ListOptions, LockMode, LockStats, OpenOptions, SessionHandle, SessionRecord, SessionStore, SessionSummary, WorkerStateOptions, WriteFence, WriteOptions } from './store.ts'
import { checkFence, checkRealm, checkWorkerState } from './worker-state.ts'

/** A waiter looks again at least this often, for releases made by other processes or hosts. */
const MAX_POLL_MS = 50

/**
 * The locking rules, once for every backend: `open`, the auto-locked single
 * writes and `regenerateId`, built on a backend's atomic steps; and the
 * bookkeeping around those steps (waking local waiters, reporting ended ids).
 */
export abstract class LockingStore implements SessionStore, LockingBackend {
  abstract readonly kind: string
  readonly waiters = new LockWaiters()
  readonly timings: Readonly<LockTimings>
  #endListeners = new Set<(id: string) => void>()
  #lostListeners = new Set<() => void>()
  #touches: TouchBatch
  /** Locks a failed release may have left held (Redis restarting): released again once the store answers. */
  readonly orphans = new OrphanLocks(id => this.waiters.notify(id))
  #lockStats: LockStats = { waits: 0, waitSeconds: 0, timeouts: 0 }

  constructor (timings: Partial<LockTimings> = {}) {
    // A setting given as undefined (an optional config field) means the default, not NaN.
    const given: Partial<LockTimings> = Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined))
    const idleMs = given.idleMs ?? DEFAULT_TIMINGS.idleMs
    const touchFlushMs = given.touchFlushMs ?? (idleMs > 0 ? Math.max(1, Math.min(DEFAULT_TIMINGS.touchFlushMs, Math.floor(idleMs / 4))) : DEFAULT_TIMINGS.touchFlushMs)
    this.timings = Object.freeze({ ...DEFAULT_TIMINGS, ...given, touchFlushMs })
    this.#touches = new TouchBatch(touchFlushMs, seen => this.touchStep(seen))
  }

  abstract create (user: string, ttlMs: number): Promise<SessionRecord>
  /** Every live session (or one user's), oldest first: `list` pages them. */
  protected abstract listStep (user: string | undefined, now: number): Promise<SessionSummary[]>
  protected abstract lookupStep (id: string): Promise<SessionRecord | null>
  abstract get (id: string, key: string): Promise<string | undefined>
  abstract exists (id: string, key: string): Promise<boolean>
  abstract keys (id: string): Promise<string[]>
  abstract getAll (id: string): Promise<Record<string, string>>
  /** Ends the backend's connections; pending touches are written by then. */
  protected abstract closeStep (): Promise<void>
  /** Marks each session that was live at its time used then (never moving back), in one transaction or pipeline; skips the others. */
  protected abstract touchStep (seen: ReadonlyMap<string, number>): Promise<void>
  abstract tryLock (id: string, leaseMs: number): Promise<number | Busy>
  // The backend's own atomic steps behind `apply`, `move`, `destroy` and `gc`, which add the bookkeeping.
  /** With a fence, a non-empty delta is first checked against the (session, realm)'s epoch (checkWriteFence), in the same step. */
  protected abstract applyStep (id: string, token: number | null, delta: DataDelta, release: boolean, fence: WriteFence | undefined): Promise<Busy | null>
  protected abstract moveStep (id: string, token: number | null): Promise<string | Busy>
  /** Answers whether the session was there, even expired. */
  protected abstract destroyStep (id: string): Promise<boolean>
  /** Removes the sessions expired at `now`; answers their ids. */
  protected abstract gcStep (now: number): Promise<string[]>
  /** Writes (json) or drops (null) a worker's state in one atomic step, fenced by fencedEpoch's rule. */
  protected abstract workerStateStep (id: string, realm: string, json: string | null, epoch: number | undefined): Promise<void>
  protected abstract loadWorkerStateStep (id: string, realm: string): Promise<string | undefined>

  touch (id: string): void {
    this.#touches.touch(id)
  }

  flushTouches (): Promise<void> {
    return this.#touches.flush()
  }

  async lookup (id: string): Promise<SessionRecord | null> {
    // A touch still in the batch is the session's last use: a lookup must not find it idle before the flush.
    if (this.#touches.has(id)) await this.#touches.flush().catch(() => {})
    return this.lookupStep(id)
  }

  async list ({ user, offset = 0, limit = 100 }: ListOptions = {}): Promise<{ total: number, sessions: SessionSummary[] }> {
    // Pending touches first: the last use shown is the last use made.
    await this.#touches.flush().catch(() => {})
    const all = await this.listStep(user, Date.now())
    return { total: all.length, sessions: all.slice(offset, offset + limit) }
  }

  lockStats (): LockStats {
    return { ...this.#lockStats }
  }

  async close (): Promise<void> {
    this.orphans.close()
    try {
      await this.#touches.close()
    } catch {
      // The backend is unreachable (Redis down): those last uses are lost, the sessions live on.
    }
    await this.closeStep()
  }

  onSessionEnd (listener: (id: string) => void): () => void {
    this.#endListeners.add(listener)
    return () => { this.#endListeners.delete(listener) }
  }

  onDataLost (listener: () => void): () => void {
    this.#lostListeners.add(listener)
    return () => { this.#lostListeners.delete(listener) }
  }

  /** The backend lost sessions without an end for each (redis-data-marker.ts). */
  protected dataLost (): void {
    for (const listener of this.#lostListeners) {
      try {
        listener()
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** The idle cut-off: a session last seen at or before it has expired. */
  protected idleCut (now: number): number {
    return this.timings.idleMs === 0 ? Number.MIN_SAFE_INTEGER : now - this.timings.idleMs
  }

  /** Called once an id is gone (destroyed, moved by regenerate_id, expired), here or (redis) on another host. */
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

  async apply (id: string, token: number | null, delta: DataDelta, release: boolean, fence?: WriteFence): Promise<Busy | null> {
    let out: Busy | null
    try {
      out = await this.applyStep(id, token, delta, release, fence)
    } catch (err) {
      // The release may not have landed, and the holder has given up on it: release it again once the store answers.
      if (release && token !== null && isUnavailable(err)) {
        this.orphans.add(id, `t${token}`, () => this.applyStep(id, token, emptyDelta(), true, undefined), Date.now() + this.timings.leaseMs)
      }
      throw err
    }
    // Local waiters try again at once; those of other processes or hosts see the release at their next poll.
    if (release && token !== null) this.waiters.notify(id)
    return out
  }

  async move (id: string, token: number | null): Promise<string | Busy> {
    const out = await this.moveStep(id, token)
    if (!isBusy(out)) this.ended(id)
    return out
  }

  async destroy (id: string): Promise<boolean> {
    const gone = await this.destroyStep(id)
    if (gone) this.ended(id)
    else this.waiters.notify(id)
    return gone
  }

  async gc (now = Date.now()): Promise<number> {
    // Pending touches first: gc must not remove a session in use whose last use is still in the batch.
    await this.#touches.flush().catch(() => {})
    const gone = await this.gcStep(now)
    for (const id of gone) this.ended(id)
    return gone.length
  }

  async saveWorkerState (id: string, realm: string, json: string, opts: WorkerStateOptions = {}): Promise<void> {
    checkWorkerState(realm, json, opts.epoch)
    await this.workerStateStep(id, realm, json, opts.epoch)
  }

  async loadWorkerState (id: string, realm: string): Promise<string | undefined> {
    checkRealm(realm)
    return this.loadWorkerStateStep(id, realm)
  }

  async clearWorkerState (id: string, realm: string, opts: WorkerStateOptions = {}): Promise<void> {
    checkWorkerState(realm, null, opts.epoch)
    await this.workerStateStep(id, realm, null, opts.epoch)
  }

  async open (id: string, mode: LockMode, opts: OpenOptions = {}): Promise<SessionHandle> {
    if (mode === 'r') {
      if (await this.lookup(id) === null) throw new NoSessionError()
      this.touch(id)
      return new StoreSessionHandle(this, id, null, 0)
    }
    if (mode !== 'rw') throw new ModeInvalidError()
    checkFence(opts.fence)
    const leaseMs = this.timings.leaseMs
    let attemptAt = 0
    const token = await this.#waitFor(id, opts.waitMs ?? this.timings.lockWaitMs, () => {
      attemptAt = Date.now()
      return this.tryLock(id, leaseMs)
    })
    // Counted from before the winning attempt, the local lease end never trails the stored one: this side stops writing first.
    return new StoreSessionHandle(this, id, token, attemptAt + leaseMs, opts.fence)
  }

  async put (id: string, key: string, value: string, opts: WriteOptions = {}): Promise<void> {
    checkKey(key)
    checkValue(value)
    const d = emptyDelta()
    d.set.set(key, value)
    await this.#write(id, d, opts.fence)
  }

  async remove (id: string, key: string, opts: WriteOptions = {}): Promise<void> {
    checkKey(key)
    const d = emptyDelta()
    d.del.add(key)
    await this.#write(id, d, opts.fence)
  }

  async putAll (id: string, data: Record<string, string>, opts: WriteOptions = {}): Promise<void> {
    const d = emptyDelta()
    d.clear = true
    d.set = new Map(checkedEntries(data))
    await this.#write(id, d, opts.fence)
  }

  async regenerateId (id: string): Promise<string> {
    return this.#waitFor(id, this.timings.lockWaitMs, () => this.move(id, null))
  }

  /** A single write: waits for the lock to be free, then applies in one atomic step. */
  async #write (id: string, delta: DataDelta, fence: WriteFence | undefined): Promise<void> {
    checkFence(fence)
    await this.#waitFor(id, this.timings.lockWaitMs, async () => (await this.apply(id, null, delta, false, fence)) ?? true)
  }

  async #waitFor<T> (id: string, waitMs: number, attempt: () => Promise<T | Busy>): Promise<T> {
    const began = Date.now()
    const deadline = began + waitMs
    let poll = 2
    for (let turn = 0; ; turn++) {
      const mark = this.waiters.mark
      const r = await attempt()
      if (!isBusy(r)) {
        if (turn > 0) this.#lockStats.waitSeconds += (Date.now() - began) / 1000
        return r
      }
      if (turn === 0) this.#lockStats.waits++
      const now = Date.now()
      if (now >= deadline) {
        this.#lockStats.timeouts++
        this.#lockStats.waitSeconds += (now - began) / 1000
        throw new LockTimeoutError(waitMs)
      }
      // Wake at the earliest of: a local release, the holder's lease end, the next poll, the deadline.
      await this.waiters.wait(id, Math.min(deadline - now, Math.max(1, r.lockedUntil - now), poll), mark)
      poll = Math.min(poll * 2, MAX_POLL_MS)
    }
  }
}
