import { join } from 'node:path'
import { MemoryStore } from './memory-store.ts'
import { SqliteStore } from './sqlite-store.ts'
import type { SessionStore } from './store.ts'

export interface StoreOptions {
  kind: 'memory' | 'sqlite'
  /** For sqlite: the data directory that holds sessions.sqlite. */
  dataDir: string
}

export function openStore (opts: StoreOptions): SessionStore {
  switch (opts.kind) {
    case 'memory': return new MemoryStore()
    case 'sqlite': return new SqliteStore(join(opts.dataDir, 'sessions.sqlite'))
    default: {
      const never: never = opts.kind
      throw new Error(`unknown store kind ${String(never)}`)
    }
  }
}
