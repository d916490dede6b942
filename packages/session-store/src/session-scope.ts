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
  /** Drops the opened handle without writing: for a worker that stops. */
  release (): Promise<void>
}

export function scopeOf (store: SessionStore, id: string): SessionScope {
  let handle: SessionHandle | null = null
  // Take the handle off before awaiting, so that a call arriving meanwhile does not use a closing one.
  const take = () => {
    const h = handle
    handle = null
    return h
  }
  return {
    get: (key) => handle ? handle.get(key) : store.get(id, key),
    put: (key, value) => handle ? handle.put(key, value) : store.put(id, key, value),
    remove: (key) => handle ? handle.remove(key) : store.remove(id, key),
    exists: (key) => handle ? handle.exists(key) : store.exists(id, key),
    keys: () => handle ? handle.keys() : store.keys(id),
    getAll: () => handle ? handle.getAll() : store.getAll(id),
    async open (mode) {
      // Reads of a worker that holds the lock already go through its rw handle.
      if (mode === 'r' && handle?.mode === 'rw') return
      if (handle?.mode === 'r') await take()?.close()
      // A rw held by another request of this worker is not closed under it: this
      // open waits at the store like any other writer, until that one commits.
      const opened = await store.open(id, mode)
      if (handle?.mode === 'rw') await opened.close()
      else handle = opened
    },
    async commit () {
      await take()?.close()
    },
    async release () {
      await take()?.discard()
    }
  }
}
