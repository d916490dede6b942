import { randomBytes } from 'node:crypto'
import { LockLostError, StoreUnavailableError } from './errors.ts'
import { isUnavailable } from './orphan-locks.ts'
import type { SessionHandle, SessionStore } from './store.ts'

interface Entry {
  sessionId: string
  /** Who took it: the worker its store token names, when it names one. */
  holder: string | undefined
  handle: SessionHandle
  timer: NodeJS.Timeout
}

/** What a client learns when its `rw` lock is granted. */
export interface GrantedLock {
  lockId: string
  /** When the lease ends, in milliseconds since the epoch. */
  leaseEnd: number
}

/**
 * The `rw` locks taken through the HTTP API, by lock id: an explicit
 * open('rw') … commit() spanning several requests. Each entry is a store
 * handle, so writes under it are staged and reads see them, exactly as in a
 * thread worker. A lock lives in the process that granted it (its staged
 * writes are in this process's memory) and never past its lease: at the
 * lease end the entry goes, so an abandoned client holds nothing.
 *
 * The id is 128 random bits and only opens a lock together with the
 * session it was granted to: another session's token (or a guess) gets
 * STORE_ERR_LOCK_LOST, the same answer as an ended lock.
 */
export class HttpLockTable {
  #store: SessionStore
  #locks = new Map<string, Entry>()
  #closed = false

  constructor (store: SessionStore) {
    this.#store = store
  }

  /**
   * Opens the session `rw`, waiting up to `waitMs` for another writer
   * (STORE_ERR_LOCK_TIMEOUT). Answers null when the client left meanwhile.
   */
  async take (sessionId: string, waitMs: number | undefined, isWanted: () => boolean, holder?: string): Promise<GrantedLock | null> {
    const handle = await this.#store.open(sessionId, 'rw', { waitMs })
    // Nobody to hand it to: give the lock back at once, not at the lease end.
    if (this.#closed || !isWanted()) {
      await handle.discard()
      if (this.#closed) throw new StoreUnavailableError()
      return null
    }
    const lockId = randomBytes(16).toString('base64url')
    const timer = setTimeout(() => this.#expire(lockId), Math.max(0, handle.leaseEnd - Date.now()))
    timer.unref()
    this.#locks.set(lockId, { sessionId, holder, handle, timer })
    return { lockId, leaseEnd: handle.leaseEnd }
  }

  /** The handle of a live lock of this session, else STORE_ERR_LOCK_LOST. */
  use (sessionId: string, lockId: string): SessionHandle {
    return this.#live(sessionId, lockId).handle
  }

  /**
   * Reads under a live lock. One that finds the store unreachable ends the
   * lock (its client may give up on it and leave it held for the whole
   * lease, issue 15 finding 6): it is handed back at once, the store
   * retrying the release until it lands, and the lock id is lost from then on.
   */
  async read<T> (sessionId: string, lockId: string, fn: (handle: SessionHandle) => Promise<T>): Promise<T> {
    const e = this.#live(sessionId, lockId)
    try {
      return await fn(e.handle)
    } catch (err) {
      if (isUnavailable(err) && this.#locks.get(lockId) === e) {
        this.#take(sessionId, lockId)
        e.handle.discard().catch(() => { /* released by the store once it answers (orphan-locks.ts) */ })
      }
      throw err
    }
  }

  /** Writes what was staged under the lock and releases it (STORE_ERR_LOCK_LOST if the lease ended first). */
  async commit (sessionId: string, lockId: string): Promise<void> {
    const e = this.#take(sessionId, lockId)
    await e.handle.close()
  }

  /** Releases the lock and drops what was staged under it. */
  async release (sessionId: string, lockId: string): Promise<void> {
    const e = this.#take(sessionId, lockId)
    await e.handle.discard()
  }

  /** The session is gone (destroy, expiry, regenerate_id): its lock is worth nothing now. */
  forget (sessionId: string): void {
    for (const [lockId, e] of this.#locks) {
      if (e.sessionId !== sessionId) continue
      clearTimeout(e.timer)
      this.#locks.delete(lockId)
    }
  }

  /**
   * A holder (one worker) is known dead: every lock it took is released at
   * once, without writing what it staged, so that the session's next writer
   * does not wait out the lease (issue 15, finding 6). Later requests under
   * those lock ids get STORE_ERR_LOCK_LOST. Answers how many it released.
   */
  async dropHolder (holder: string): Promise<number> {
    const dropped: Entry[] = []
    for (const [lockId, e] of this.#locks) {
      if (e.holder !== holder) continue
      clearTimeout(e.timer)
      this.#locks.delete(lockId)
      dropped.push(e)
    }
    // A store that cannot be reached now gets them later: the handle's failed discard is retried by the store (orphan-locks.ts).
    await Promise.allSettled(dropped.map(e => e.handle.discard()))
    return dropped.length
  }

  get size (): number {
    return this.#locks.size
  }

  /** Releases every lock, without writing: the clients never committed. */
  async close (): Promise<void> {
    this.#closed = true
    const all = [...this.#locks.values()]
    this.#locks.clear()
    for (const e of all) clearTimeout(e.timer)
    await Promise.allSettled(all.map(e => e.handle.discard()))
  }

  #live (sessionId: string, lockId: string): Entry {
    const e = this.#locks.get(lockId)
    // The lease is checked here too: a timer may fire a little late, the store's lease never does.
    if (e === undefined || e.sessionId !== sessionId || Date.now() >= e.handle.leaseEnd) throw new LockLostError()
    return e
  }

  #take (sessionId: string, lockId: string): Entry {
    const e = this.#live(sessionId, lockId)
    clearTimeout(e.timer)
    this.#locks.delete(lockId)
    return e
  }

  #expire (lockId: string): void {
    const e = this.#locks.get(lockId)
    if (e === undefined) return
    this.#locks.delete(lockId)
    // The store's lease has ended too: discarding only drops the staged writes; nothing is left to release.
    e.handle.discard().catch(() => {
      // The session may be gone, or Redis down: either way the lock is over.
    })
  }
}
