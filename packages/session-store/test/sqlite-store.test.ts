import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { SqliteStore } from '../src/sqlite-store.ts'

const HOUR = 3_600_000

async function tmpFile (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-sqlite-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'sessions.sqlite')
}

/** Opens the file with a second, plain connection and answers the first column of each row. */
function column (file: string, sql: string): unknown[] {
  const db = new DatabaseSync(file)
  try {
    return db.prepare(sql).all().map(row => Object.values(row)[0])
  } finally {
    db.close()
  }
}

test('sessions and their data survive closing and reopening the file', async (t) => {
  const file = await tmpFile(t)
  const first = new SqliteStore(file)
  const s = await first.create('alice', HOUR)
  await first.put(s.id, 'theme', 'dark')
  await first.close()

  const second = new SqliteStore(file)
  t.after(() => second.close())
  assert.deepEqual(await second.lookup(s.id), s)
  assert.equal(await second.get(s.id, 'theme'), 'dark')
  assert.deepEqual(await second.keys(s.id), ['theme'])
})

test('worker state survives closing and reopening the file, in a table of its own', async (t) => {
  const file = await tmpFile(t)
  const first = new SqliteStore(file)
  const s = await first.create('alice', HOUR)
  await first.saveWorkerState(s.id, 'counter', '{"count":2}')
  await first.close()
  assert.deepEqual(column(file, 'SELECT key FROM session_data'), [], 'not among the session\'s data rows')

  const second = new SqliteStore(file)
  t.after(() => second.close())
  assert.equal(await second.loadWorkerState(s.id, 'counter'), '{"count":2}')
  assert.deepEqual(await second.keys(s.id), [])
})

test('the file is created with mode 0600', async (t) => {
  const file = await tmpFile(t)
  const store = new SqliteStore(file)
  t.after(() => store.close())
  assert.equal((await stat(file)).mode & 0o777, 0o600)
})

test('an existing file that others could read is narrowed to 0600', async (t) => {
  const file = await tmpFile(t)
  await writeFile(file, '')
  await chmod(file, 0o644)
  const store = new SqliteStore(file)
  t.after(() => store.close())
  assert.equal((await stat(file)).mode & 0o777, 0o600)
})

test('the database runs in WAL mode', async (t) => {
  const file = await tmpFile(t)
  const store = new SqliteStore(file)
  await store.create('bob', HOUR)
  assert.ok(existsSync(`${file}-wal`), 'a -wal file exists while the store is open')
  await store.close()
  // WAL is recorded in the file itself, so a fresh connection reports it.
  assert.deepEqual(column(file, 'PRAGMA journal_mode'), ['wal'])
})

test('destroy and gc delete the session\'s data rows, not only the session', async (t) => {
  const file = await tmpFile(t)
  const store = new SqliteStore(file)
  const gone = await store.create('carol', HOUR)
  const expired = await store.create('carol', 1000)
  const kept = await store.create('carol', HOUR)
  for (const s of [gone, expired, kept]) await store.put(s.id, 'k', 'v')
  for (const s of [gone, expired, kept]) await store.saveWorkerState(s.id, 'r', '1')
  await store.destroy(gone.id)
  assert.equal(await store.gc(expired.expiresAt), 1)
  await store.close()
  assert.deepEqual(column(file, 'SELECT session_id FROM session_data'), [kept.id])
  assert.deepEqual(column(file, 'SELECT session_id FROM worker_state'), [kept.id])
})

test('touches reach the file only at the flush, in one transaction, and close writes the ones still pending', async (t) => {
  const file = await tmpFile(t)
  const store = new SqliteStore(file, { touchFlushMs: 60_000 })
  const ids: string[] = []
  for (let i = 0; i < 100; i++) ids.push((await store.create('alice', HOUR)).id)
  const seen = () => column(file, 'SELECT last_seen FROM sessions ORDER BY id') as number[]
  const before = seen()
  const walBytes = () => statSync(`${file}-wal`).size
  const wal = walBytes()
  await new Promise(resolve => setTimeout(resolve, 5))
  for (const id of ids) store.touch(id)
  assert.deepEqual(seen(), before, 'no write per touch')
  assert.equal(walBytes(), wal)

  await store.flushTouches()
  const after = seen()
  assert.ok(after.every((v, i) => v > before[i]), 'every touch written')
  // 100 transactions would append at least 100 page frames to the WAL; one updates a handful of pages.
  assert.ok(walBytes() - wal < 20 * (4096 + 24), `one transaction: the WAL grew ${walBytes() - wal} bytes`)

  const lastSeen = (id: string) => column(file, `SELECT last_seen FROM sessions WHERE id = '${id}'`)[0] as number
  const flushed = lastSeen(ids[0])
  await new Promise(resolve => setTimeout(resolve, 5))
  store.touch(ids[0])
  await store.close()
  assert.ok(lastSeen(ids[0]) > flushed, 'close wrote the pending touch')
})
