import { chmodSync, closeSync, openSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { NoSessionError } from './errors.ts'
import { checkKey, checkValue } from './limits.ts'
import { newSessionId } from './session-id.ts'
import type { SessionRecord, SessionStore } from './store.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS session_data (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (session_id, key)
) STRICT, WITHOUT ROWID;
`

/**
 * The embedded default: one SQLite file in the data directory, durable
 * across restarts. node:sqlite is synchronous; each call is one indexed
 * statement on a local file, which costs less than a thread hop would.
 */
export class SqliteStore implements SessionStore {
  readonly kind = 'sqlite'
  #db: DatabaseSync
  #q: Record<string, StatementSync>

  constructor (file: string) {
    if (file !== ':memory:') {
      // Create it 0600 before SQLite does: it holds live session ids.
      closeSync(openSync(file, 'a', 0o600))
      chmodSync(file, 0o600)
    }
    this.#db = new DatabaseSync(file)
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;')
    this.#db.exec(SCHEMA)
    const p = (sql: string) => this.#db.prepare(sql)
    this.#q = {
      insert: p('INSERT INTO sessions (id, user, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      lookup: p('SELECT id, user, created_at, expires_at FROM sessions WHERE id = ? AND expires_at > ?'),
      live: p('SELECT 1 AS ok FROM sessions WHERE id = ? AND expires_at > ?'),
      destroy: p('DELETE FROM sessions WHERE id = ?'),
      get: p('SELECT value FROM session_data WHERE session_id = ? AND key = ?'),
      put: p('INSERT INTO session_data (session_id, key, value) VALUES (?, ?, ?) ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value'),
      remove: p('DELETE FROM session_data WHERE session_id = ? AND key = ?'),
      keys: p('SELECT key FROM session_data WHERE session_id = ? ORDER BY key'),
      all: p('SELECT key, value FROM session_data WHERE session_id = ?'),
      gc: p('DELETE FROM sessions WHERE expires_at <= ?')
    }

  }

  #live (id: string): void {
    if (!this.#q.live.get(id, Date.now())) throw new NoSessionError()
  }

  async create (user: string, ttlMs: number): Promise<SessionRecord> {
    const now = Date.now()
    const record = { id: newSessionId(), user, createdAt: now, expiresAt: now + ttlMs }
    this.#q.insert.run(record.id, user, now, record.expiresAt)
    return record
  }

  async lookup (id: string): Promise<SessionRecord | null> {
    const row = this.#q.lookup.get(id, Date.now()) as { id: string, user: string, created_at: number, expires_at: number } | undefined
    return row ? { id: row.id, user: row.user, createdAt: row.created_at, expiresAt: row.expires_at } : null
  }

  async destroy (id: string): Promise<boolean> {
    return Number(this.#q.destroy.run(id).changes) > 0
  }

  async get (id: string, key: string): Promise<string | undefined> {
    checkKey(key)
    this.#live(id)
    return (this.#q.get.get(id, key) as { value: string } | undefined)?.value
  }

  async put (id: string, key: string, value: string): Promise<void> {
    checkKey(key)
    checkValue(value)
    this.#live(id)
    this.#q.put.run(id, key, value)
  }

  async remove (id: string, key: string): Promise<void> {
    checkKey(key)
    this.#live(id)
    this.#q.remove.run(id, key)
  }

  async exists (id: string, key: string): Promise<boolean> {
    checkKey(key)
    this.#live(id)
    return this.#q.get.get(id, key) !== undefined
  }

  async keys (id: string): Promise<string[]> {
    this.#live(id)
    return (this.#q.keys.all(id) as Array<{ key: string }>).map(r => r.key)
  }

  async getAll (id: string): Promise<Record<string, string>> {
    this.#live(id)
    // fromEntries defines own properties: assigning out[key] would drop a key named __proto__.
    return Object.fromEntries((this.#q.all.all(id) as Array<{ key: string, value: string }>).map(r => [r.key, r.value]))
  }

  async gc (now = Date.now()): Promise<number> {
    return Number(this.#q.gc.run(now).changes)
  }

  async close (): Promise<void> {
    if (this.#db.isOpen) this.#db.close()
  }
}
