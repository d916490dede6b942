import { NoSessionError } from './errors.ts'
import { checkKey, checkValue } from './limits.ts'
import { newSessionId } from './session-id.ts'
import type { SessionRecord, SessionStore } from './store.ts'

interface Entry { record: SessionRecord, data: Map<string, string> }

/** Sessions in this process's memory: for tests and throwaway daemons. */
export class MemoryStore implements SessionStore {
  readonly kind = 'memory'
  #sessions = new Map<string, Entry>()

  #live (id: string): Entry {
    const e = this.#sessions.get(id)
    if (!e || e.record.expiresAt <= Date.now()) throw new NoSessionError()
    return e
  }

  async create (user: string, ttlMs: number): Promise<SessionRecord> {
    const now = Date.now()
    const record = { id: newSessionId(), user, createdAt: now, expiresAt: now + ttlMs }
    this.#sessions.set(record.id, { record, data: new Map() })
    return { ...record }
  }

  async lookup (id: string): Promise<SessionRecord | null> {
    const e = this.#sessions.get(id)
    return e && e.record.expiresAt > Date.now() ? { ...e.record } : null
  }

  async destroy (id: string): Promise<boolean> {
    return this.#sessions.delete(id)
  }

  async get (id: string, key: string): Promise<string | undefined> {
    checkKey(key)
    return this.#live(id).data.get(key)
  }

  async put (id: string, key: string, value: string): Promise<void> {
    checkKey(key)
    checkValue(value)
    this.#live(id).data.set(key, value)
  }

  async remove (id: string, key: string): Promise<void> {
    checkKey(key)
    this.#live(id).data.delete(key)
  }

  async exists (id: string, key: string): Promise<boolean> {
    checkKey(key)
    return this.#live(id).data.has(key)
  }

  async keys (id: string): Promise<string[]> {
    // Code-point order, as SQLite's BINARY collation sorts UTF-8; a plain
    // sort() compares UTF-16 units and would put U+1F600 before U+FF01.
    return [...this.#live(id).data.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  }

  async getAll (id: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.#live(id).data)
  }

  async gc (now = Date.now()): Promise<number> {
    let n = 0
    for (const [id, e] of this.#sessions) {
      if (e.record.expiresAt <= now) {
        this.#sessions.delete(id)
        n++
      }
    }
    return n
  }

  async close (): Promise<void> {
    this.#sessions.clear()
  }
}
