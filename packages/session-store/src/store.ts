/** A session as the store knows it. Times are milliseconds since the epoch. */
export interface SessionRecord {
  id: string
  user: string
  createdAt: number
  expiresAt: number
}

/**
 * The session store every backend implements. Operation names follow the
 * classic session-server protocol (`new`, `get`, `put`, `keys`, …).
 * Methods on a missing or expired session fail with STORE_ERR_NO_SESSION,
 * except `lookup`, which answers null, and `destroy`, which answers false.
 */
export interface SessionStore {
  readonly kind: string
  /** `new`: a fresh session with a 256-bit random id. */
  create (user: string, ttlMs: number): Promise<SessionRecord>
  lookup (id: string): Promise<SessionRecord | null>
  destroy (id: string): Promise<boolean>
  get (id: string, key: string): Promise<string | undefined>
  put (id: string, key: string, value: string): Promise<void>
  remove (id: string, key: string): Promise<void>
  exists (id: string, key: string): Promise<boolean>
  keys (id: string): Promise<string[]>
  getAll (id: string): Promise<Record<string, string>>
  /** Removes expired sessions and their data; answers how many. */
  gc (now?: number): Promise<number>
  close (): Promise<void>
}

/** One session's data, with the session fixed: what a worker is handed. */
export interface SessionScope {
  get (key: string): Promise<string | undefined>
  put (key: string, value: string): Promise<void>
  remove (key: string): Promise<void>
  exists (key: string): Promise<boolean>
  keys (): Promise<string[]>
  getAll (): Promise<Record<string, string>>
}

export function scopeOf (store: SessionStore, id: string): SessionScope {
  return {
    get: (key) => store.get(id, key),
    put: (key, value) => store.put(id, key, value),
    remove: (key) => store.remove(id, key),
    exists: (key) => store.exists(id, key),
    keys: () => store.keys(id),
    getAll: () => store.getAll(id)
  }
}
