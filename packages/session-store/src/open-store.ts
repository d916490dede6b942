import { join } from 'node:path'
import { StoreConfigError } from './errors.ts'
import type { LockTimings } from './locking-backend.ts'
import { MemoryStore } from './memory-store.ts'
import { RedisStore } from './redis-store.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { SessionStore } from './store.ts'

export interface StoreOptions extends Partial<LockTimings> {
  kind: 'memory' | 'sqlite' | 'redis'
  /** For sqlite: the data directory that holds sessions.sqlite. */
  dataDir: string
  /** For redis: redis://host:port[/db]. */
  url?: string
  /** Told, in one line, what in the backend's settings can lose sessions (redis: persistence, eviction, role). */
  warn?: (message: string) => void
}

/** The configured backend, ready: a Redis that cannot be reached fails here with STORE_ERR_CONNECT. */
export async function openStore ({ kind, dataDir, url, warn, ...timings }: StoreOptions): Promise<SessionStore> {
  switch (kind) {
    case 'memory': return new MemoryStore(timings)
    case 'sqlite': return new SqliteStore(join(dataDir, 'sessions.sqlite'), timings)
    case 'redis':
      if (!url) throw new StoreConfigError('store.kind redis needs store.url (or SESSIOND_STORE_URL)')
      return RedisStore.connect({ url, warn, ...timings })
    default: {
      const never: never = kind
      throw new StoreConfigError(`unknown store kind ${String(never)}`)
    }
  }
}
