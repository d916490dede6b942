import { LockLostError, ScopeReleasedError } from './errors.ts'
import type { LockMode, SessionDataOps, SessionHandle, SessionStore } from './store.ts'

/**
 * One session's data, with the session fixed: what a worker is handed
 * (`ctx.store`). Until `open`, each call is a single operation (reads never
 * wait, writes take and release the lock). After `open('rw')` the worker
 * holds the session's lock: its writes collect and reach the store at
 * `commit`, and every call of this worker goes through that one handle,
 * concurrent requests included. A worker that never commits loses the lock
 * when its lease ends, and its late writes are refused.
 */
export interface SessionScope extends SessionDataOps {
  /** Opens the session `r` or `rw`. A second `rw` waits for the first's commit, as at the store. */
  open (mode: LockMode): Promise<void>
  /** Commits and ends the opened handle; later calls are single operations again. */
  commit (): Promise<void>
  /**
   * For a worker that exited or crashed: drops the `rw` lock the scope still
   * holds without writing (another writer gets it at once) and ends the
   * scope. Idempotent. Every later call fails, so that a call of the dead
   * worker still in flight can never land as a single operation: with
   * STORE_ERR_LOCK_LOST when a lock was dropped (as its fenced commit would),
   * else STORE_ERR_HANDLE_CLOSED.
   */
  release (): Promise<void>
}

export function scopeOf (store: SessionStore, id: string): SessionScope {
  let handle: SessionHandle | null = null
  let ended: (() => Error) | null = null
  // Take the handle off before awaiting, so that a call arriving meanwhile does not use a closing one.
  const take = () => {
    const h = handle
    handle = null
    return h
  }
  const live = () => {
    if (ended) throw ended()
  }
  return {
    get: async (key) => { live(); return handle ? handle.get(key) : store.get(id, key) },
    put: async (key, value) => { live(); return handle ? handle.put(key, value) : store.put(id, key, value) },
    remove: async (key) => { live(); return handle ? handle.remove(key) : store.remove(id, key) },
    exists: async (key) => { live(); return handle ? handle.exists(key) : store.exists(id, key) },
    keys: async () => { live(); return handle ? handle.keys() : store.keys(id) },
    getAll: async () => { live(); return handle ? handle.getAll() : store.getAll(id) },
    async open (mode) {
      live()
      // Reads of a worker that holds the lock already go through its rw handle.
      if (mode === 'r' && handle?.mode === 'rw') return
      if (handle?.mode === 'r') await take()?.close()
      // A rw held by another request of this worker is not closed under it: this
      // open waits at the store like any other writer, until that one commits.
      const opened = await store.open(id, mode)
      // Released while this open waited: the dead worker must not hold the lock for a whole lease.
      if (ended) {
        await opened.discard()
        throw ended()
      }
      if (handle?.mode === 'rw') await opened.close()
      else handle = opened
    },
    async commit () {
      live()
      await take()?.close()
    },
    async release () {
      if (ended) return
      const h = take()
      const dropped = h?.mode === 'rw'
      ended = dropped ? () => new LockLostError() : () => new ScopeReleasedError()
      await h?.discard()
    }
  }
}
