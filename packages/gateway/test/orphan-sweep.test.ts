import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { SqliteStore } from '@sessiond/session-store'
import { Supervisor, workerRealm } from '@sessiond/supervisor'
import { stopOrphanedWorkers } from '../src/orphan-sweep.ts'

const HANDLER = pathToFileURL(new URL('../../../test/fixtures/reload-v1.ts', import.meta.url).pathname).href

test('a worker whose session vanished without an event is stopped; live sessions keep theirs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sd-orphan-'))
  // Two stores on one file: an end through the other one fires no event here, like another process.
  const store = new SqliteStore(join(dir, 'sessions.sqlite'))
  const elsewhere = new SqliteStore(join(dir, 'sessions.sqlite'))
  const supervisor = new Supervisor({ realms: [workerRealm({ name: 'r', handler: HANDLER })], store, logger: pino({ level: 'silent' }) })
  t.after(async () => {
    await supervisor.close()
    await store.close()
    await elsewhere.close()
    await rm(dir, { recursive: true, force: true })
  })
  const start = async (user: string) => {
    const s = await store.create(user, 60_000)
    const res = await supervisor.dispatch({ identity: { sessionId: s.id, user }, realm: 'r', method: 'GET', url: 'http://x/whoami', headers: [], body: null })
    assert.equal(res.status, 200)
    return s.id
  }
  const gone = await start('alice')
  const kept = await start('bob')
  assert.equal(await elsewhere.destroy(gone), true)
  assert.ok(supervisor.hasWorker(gone, 'r'), 'no event reached this supervisor')
  assert.equal(await stopOrphanedWorkers(supervisor, store, pino({ level: 'silent' })), 1)
  assert.equal(supervisor.hasWorker(gone, 'r'), false)
  assert.equal(supervisor.hasWorker(kept, 'r'), true)
})
