import { chmodSync, closeSync, openSync } from 'node:fs'
import { DatabaseSync } from 'node:sqlite'
import type { StatementSync } from 'node:sqlite'
import { isEmptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { NoSessionError } from './errors.ts'
import { checkKey } from './limits.ts'
import { checkLock } from './locking-backend.ts'
import type { Busy, LockTimings, StoredLock } from './locking-backend.ts'
import { LockingStore } from './locking-store.ts'
import { newSessionId } from './session-id.ts'
import type { SessionRecord, SessionSummary, WriteFence } from './store.ts'
import { checkWriteFence, fencedEpoch } from './worker-state.ts'

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
CREATE TABLE IF NOT EXISTS worker_state (
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  realm TEXT NOT NULL,
  state TEXT,
  epoch INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, realm)
) STRICT, WITHOUT ROWID;
`

/** Columns added for locking and idle expiry; files made before them gain them at open. */
const LOCK_COLUMNS: Array<[string, string]> = [
  ['last_seen', 'INTEGER NOT NULL DEFAULT 0'],
  ['fence', 'INTEGER NOT NULL DEFAULT 0'],
  ['lock_token', 'INTEGER'],
  ['lock_until', 'INTEGER']
]

/**
 * The embedded default: one SQLite file in the data directory, durable
 * across restarts. node:sqlite is synchronous; each call is one indexed
 * statement on a local file, which costs less than a thread hop would.
 * Every locking step is one IMMEDIATE transaction, so several processes
 * may share the file.
 */
export class SqliteStore extends LockingStore {
  readonly kind = 'sqlite'
  #db: DatabaseSync
  #q: Record<string, StatementSync>

  constructor (file: string, timings: Partial<LockTimings> = {}) {
    super(timings)
    if (file !== ':memory:') {
      // Create it 0600 before SQLite does: it holds live session ids.
      closeSync(openSync(file, 'a', 0o600))
      chmodSync(file, 0o600)
    }
    this.#db = new DatabaseSync(file)
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;')
    this.#db.exec(SCHEMA)
    const have = new Set((this.#db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>).map(c => c.name))
    for (const [name, type] of LOCK_COLUMNS) {
      if (!have.has(name)) this.#db.exec(`ALTER TABLE sessions ADD COLUMN ${name} ${type}`)
    }
    if (!have.has('last_seen')) this.#db.exec('UPDATE sessions SET last_seen = created_at')
    const p = (sql: string) => this.#db.prepare(sql)
    // "live" everywhere: not past the absolute expiry and seen after the idle cut-off.
    const LIVE = 'expires_at > ? AND last_seen > ?'
    this.#q = {
      insert: p('INSERT INTO sessions (id, user, created_at, expires_at, last_seen) VALUES (?, ?, ?, ?, ?)'),
      lookup: p(`SELECT id, user, created_at, expires_at FROM sessions WHERE id = ? AND ${LIVE}`),
      list: p(`SELECT id, user, created_at, expires_at, last_seen FROM sessions WHERE ${LIVE} ORDER BY created_at`),
      listOf: p(`SELECT id, user, created_at, expires_at, last_seen FROM sessions WHERE ${LIVE} AND user = ? ORDER BY created_at`),
      live: p(`SELECT lock_token AS token, lock_until AS until FROM sessions WHERE id = ? AND ${LIVE}`),
      // Live when it was touched (the touch is what kept it alive since), and never moved back.
      touch: p(`UPDATE sessions SET last_seen = ?1 WHERE id = ?2 AND last_seen < ?1 AND expires_at > ?1 AND last_seen > ?3`),
      lock: p('UPDATE sessions SET fence = fence + 1, lock_token = fence + 1, lock_until = ?, last_seen = ? WHERE id = ? RETURNING lock_token'),
      unlock: p('UPDATE sessions SET lock_token = NULL, lock_until = NULL WHERE id = ?'),
      seen: p('UPDATE sessions SET last_seen = ? WHERE id = ?'),
      copy: p('INSERT INTO sessions (id, user, created_at, expires_at, last_seen, fence, lock_token, lock_until) SELECT ?, user, created_at, expires_at, last_seen, fence, lock_token, lock_until FROM sessions WHERE id = ?'),
      reparent: p('UPDATE session_data SET session_id = ? WHERE session_id = ?'),
      reparentStates: p('UPDATE worker_state SET session_id = ? WHERE session_id = ?'),
      destroy: p('DELETE FROM sessions WHERE id = ?'),
      get: p('SELECT value FROM session_data WHERE session_id = ? AND key = ?'),
      put: p('INSERT INTO session_data (session_id, key, value) VALUES (?, ?, ?) ON CONFLICT (session_id, key) DO UPDATE SET value = excluded.value'),
      remove: p('DELETE FROM session_data WHERE session_id = ? AND key = ?'),
      clear: p('DELETE FROM session_data WHERE session_id = ?'),
      keys: p('SELECT key FROM session_data WHERE session_id = ? ORDER BY key'),
      all: p('SELECT key, value FROM session_data WHERE session_id = ?'),
      stateEpoch: p('SELECT epoch FROM worker_state WHERE session_id = ? AND realm = ?'),
      saveState: p('INSERT INTO worker_state (session_id, realm, state, epoch) VALUES (?, ?, ?, ?) ON CONFLICT (session_id, realm) DO UPDATE SET state = excluded.state, epoch = excluded.epoch'),
      dropState: p('DELETE FROM worker_state WHERE session_id = ? AND realm = ?'),
      loadState: p('SELECT state FROM worker_state WHERE session_id = ? AND realm = ?'),
      gc: p(`DELETE FROM sessions WHERE NOT (${LIVE}) RETURNING id`)
    }
  }

  /** The session's lock, or STORE_ERR_NO_SESSION. */
  #live (id: string, now = Date.now()): StoredLock {
    const row = this.#q.live.get(id, now, this.idleCut(now)) as StoredLock | undefined
    if (!row) throw new NoSessionError()
    return row
  }

  #tx<T> (fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE')
    try {
      const out = fn()
      this.#db.exec('COMMIT')
      return out
    } catch (err) {
      this.#db.exec('ROLLBACK')
      throw err
    }
  }

  async create (user: string, ttlMs: number): Promise<SessionRecord> {
    const now = Date.now()
    const record = { id: newSessionId(), user, createdAt: now, expiresAt: now + ttlMs }
    this.#q.insert.run(record.id, user, now, record.expiresAt, now)
    return record
  }

  protected async listStep (user: string | undefined, now: number): Promise<SessionSummary[]> {
    const rows = (user === undefined ? this.#q.list.all(now, this.idleCut(now)) : this.#q.listOf.all(now, this.idleCut(now), user)) as Array<{ id: string, user: string, created_at: number, expires_at: number, last_seen: number }>
    return rows.map(r => ({ id: r.id, user: r.user, createdAt: r.created_at, expiresAt: r.expires_at, lastSeenAt: r.last_seen }))
  }

  protected async lookupStep (id: string): Promise<SessionRecord | null> {
    const now = Date.now()
    const row = this.#q.lookup.get(id, now, this.idleCut(now)) as { id: string, user: string, created_at: number, expires_at: number } | undefined
    return row ? { id: row.id, user: row.user, createdAt: row.created_at, expiresAt: row.expires_at } : null
  }

  protected async destroyStep (id: string): Promise<boolean> {
    return Number(this.#q.destroy.run(id).changes) > 0
  }

  protected async touchStep (seen: ReadonlyMap<string, number>): Promise<void> {
    this.#tx(() => {
      for (const [id, at] of seen) this.#q.touch.run(at, id, this.idleCut(at))
    })
  }

  async tryLock (id: string, leaseMs: number): Promise<number | Busy> {
    return this.#tx(() => {
      const now = Date.now()
      const g = checkLock(this.#live(id, now), null, null, now)
      if (g !== 'ok') return g as Busy
      return Number((this.#q.lock.get(now + leaseMs, now, id) as { lock_token: number }).lock_token)
    })
  }

  protected async applyStep (id: string, token: number | null, delta: DataDelta, release: boolean, fence: WriteFence | undefined): Promise<Busy | null> {
    return this.#tx(() => {
      const now = Date.now()
      const lock = this.#live(id, now)
      if (fence !== undefined && !isEmptyDelta(delta)) {
        checkWriteFence(Number((this.#q.stateEpoch.get(id, fence.realm) as { epoch: number } | undefined)?.epoch ?? 0), fence)
      }
      const g = checkLock(lock, token, delta, now)
      if (g === 'lost') return null
      if (g !== 'ok') return g
      if (delta.clear) this.#q.clear.run(id)
      for (const k of delta.del) this.#q.remove.run(id, k)
      for (const [k, v] of delta.set) this.#q.put.run(id, k, v)
      this.#q.seen.run(now, id)
      if (release && token !== null) this.#q.unlock.run(id)
      return null
    })
  }

  protected async moveStep (id: string, token: number | null): Promise<string | Busy> {
    return this.#tx(() => {
      const now = Date.now()
      const g = checkLock(this.#live(id, now), token, null, now)
      if (g !== 'ok') return g as Busy
      const fresh = newSessionId()
      // Copy, re-point the data, delete: works on files made before any schema change.
      this.#q.copy.run(fresh, id)
      this.#q.reparent.run(fresh, id)
      this.#q.reparentStates.run(fresh, id)
      this.#q.destroy.run(id)
      return fresh
    })
  }

  async get (id: string, key: string): Promise<string | undefined> {
    checkKey(key)
    this.#live(id)
    return (this.#q.get.get(id, key) as { value: string } | undefined)?.value
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

  protected async workerStateStep (id: string, realm: string, json: string | null, epoch: number | undefined): Promise<void> {
    this.#tx(() => {
      this.#live(id)
      const stored = this.#q.stateEpoch.get(id, realm) as { epoch: number } | undefined
      const next = fencedEpoch(Number(stored?.epoch ?? 0), epoch)
      // A drop keeps a non-zero epoch behind, so that a stale save after it is still refused.
      if (json === null && next === 0) this.#q.dropState.run(id, realm)
      else this.#q.saveState.run(id, realm, json, next)
    })
  }

  protected async loadWorkerStateStep (id: string, realm: string): Promise<string | undefined> {
    this.#live(id)
    return (this.#q.loadState.get(id, realm) as { state: string | null } | undefined)?.state ?? undefined
  }

  protected async gcStep (now: number): Promise<string[]> {
    return (this.#q.gc.all(now, this.idleCut(now)) as Array<{ id: string }>).map(r => r.id)
  }

  protected async closeStep (): Promise<void> {
    if (this.#db.isOpen) this.#db.close()
  }
}
