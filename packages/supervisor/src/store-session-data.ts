import type { SessionHandle, SessionStore } from '@sessiond/session-store'
import { SessionLockClient } from '@sessiond/worker-sdk/internal'
import type { LockBackend, ReleasableSessionData } from '@sessiond/worker-sdk/internal'

/**
 * A thread worker's ctx.store: the SDK's one lock client over the session
 * store in this process, with the session fixed. A held lock is a store
 * handle; `under: h => h` is where the compiler checks that the store's
 * handle is the SDK's SessionDataOps.
 */
export function storeSessionData (store: SessionStore, sessionId: string): ReleasableSessionData {
  const backend: LockBackend<SessionHandle> = {
    single: {
      get: (k) => store.get(sessionId, k),
      put: (k, v) => store.put(sessionId, k, v),
      remove: (k) => store.remove(sessionId, k),
      exists: (k) => store.exists(sessionId, k),
      keys: () => store.keys(sessionId),
      getAll: () => store.getAll(sessionId)
    },
    lock: () => store.open(sessionId, 'rw'),
    under: (h) => h,
    commit: (h) => h.close(),
    discard: (h) => h.discard()
  }
  return new SessionLockClient(backend)
}
