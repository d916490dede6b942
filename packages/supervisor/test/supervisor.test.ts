import { test } from 'node:test'
import assert from 'node:assert/strict'
import { realm, setup, fixture } from './helpers.ts'

test('dispatch starts one worker per (session, realm) and reuses it', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'a' }), realm({ name: 'b' })])
  const s = await store.create('alice', 60_000)
  const first = await get(s.id, 'alice', '/', 'a')
  const second = await get(s.id, 'alice', '/', 'a')
  const other = await get(s.id, 'alice', '/', 'b')
  assert.deepEqual([first.json.count, second.json.count, other.json.count], [1, 2, 1])
  assert.equal(first.json.threadId, second.json.threadId)
  assert.notEqual(first.json.threadId, other.json.threadId, 'each realm has its own worker')
  assert.ok(supervisor.hasWorker(s.id, 'a'))
  assert.deepEqual(supervisor.stats().byRealm, { a: 1, b: 1 })
})

test('concurrent first requests of one session start exactly one worker', async (t) => {
  const { store, supervisor, get } = setup(t)
  const s = await store.create('alice', 60_000)
  const all = await Promise.all(Array.from({ length: 10 }, () => get(s.id, 'alice')))
  assert.equal(new Set(all.map(r => r.json.threadId)).size, 1)
  assert.deepEqual(all.map(r => r.json.count).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  assert.equal(supervisor.stats().spawned, 1)
})

test('a session the store does not know gets no worker', async (t) => {
  const { supervisor, get } = setup(t)
  await assert.rejects(get('f'.repeat(64), 'nobody'), { code: 'SUP_ERR_NO_SESSION', statusCode: 401 })
  assert.equal(supervisor.stats().workers, 0)
})

test('an unknown realm is a coded 404', async (t) => {
  const { store, get } = setup(t)
  const s = await store.create('alice', 60_000)
  await assert.rejects(get(s.id, 'alice', '/', 'nope'), { code: 'SUP_ERR_UNKNOWN_REALM', statusCode: 404 })
})

test('stopSession stops every worker of the session and calls the handler\'s stop', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'a' }), realm({ name: 'b' })])
  const s = await store.create('alice', 60_000)
  const keep = await store.create('bob', 60_000)
  await get(s.id, 'alice', '/', 'a')
  await get(s.id, 'alice', '/', 'b')
  await get(keep.id, 'bob', '/', 'a')
  await supervisor.stopSession(s.id)
  assert.equal(supervisor.hasWorker(s.id, 'a'), false)
  assert.equal(supervisor.hasWorker(s.id, 'b'), false)
  assert.equal((await get(keep.id, 'bob', '/', 'a')).json.count, 2, 'another session is untouched')
  assert.equal((await get(s.id, 'alice', '/', 'a')).json.count, 1, 'the session starts afresh while it exists')
})

test('a worker that exits fails its in-flight requests with SUP_ERR_WORKER_EXITED, and the next request gets a new one', async (t) => {
  const { store, supervisor, get } = setup(t)
  const s = await store.create('alice', 60_000)
  const before = await get(s.id, 'alice')
  // One request hangs in the worker; another makes the thread exit under it.
  const hanging = get(s.id, 'alice', '/hang')
  await get(s.id, 'alice', '/exit')
  await assert.rejects(hanging, { code: 'SUP_ERR_WORKER_EXITED', statusCode: 502 })
  const after = await get(s.id, 'alice')
  assert.equal(after.json.count, 1)
  assert.notEqual(after.json.threadId, before.json.threadId)
  assert.equal(supervisor.stats().crashed, 1)
})

test('a worker that does not start in time is a coded 504 and leaves nothing behind', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ handler: fixture('slow-start.ts'), startTimeout: 300 })])
  const s = await store.create('alice', 60_000)
  await assert.rejects(get(s.id, 'alice'), { code: 'SUP_ERR_WORKER_START_TIMEOUT', statusCode: 504 })
  assert.equal(supervisor.stats().workers, 0)
})

test('ctx.store reaches only the worker\'s own session', async (t) => {
  const { store, get } = setup(t)
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  await store.put(b.id, 'private', 'bob')
  const r1 = await get(a.id, 'alice', '/store')
  const r2 = await get(a.id, 'alice', '/store')
  assert.deepEqual(r2.json, { seen: '2', keys: ['seen'] })
  assert.equal(r1.json.seen, '1')
  assert.equal(await store.get(a.id, 'seen'), '2')
  assert.deepEqual(await store.keys(b.id), ['private'])
})

test('close stops every worker and refuses new work', async (t) => {
  const { store, supervisor, get } = setup(t)
  const s = await store.create('alice', 60_000)
  await get(s.id, 'alice')
  await supervisor.close()
  assert.equal(supervisor.stats().workers, 0)
  const s2 = await store.create('bob', 60_000)
  await assert.rejects(get(s2.id, 'bob'), { code: 'SUP_ERR_CLOSED', statusCode: 503 })
})

test('a request with no answer within the realm\'s requestTimeout gets 504 and its worker is recycled', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ requestTimeout: 300 })])
  const s = await store.create('alice', 60_000)
  const before = await get(s.id, 'alice')
  await assert.rejects(get(s.id, 'alice', '/hang'), { code: 'SUP_ERR_WORKER_TIMEOUT', statusCode: 504 })
  assert.equal(supervisor.hasWorker(s.id, 'r'), false, 'the hung worker is gone')
  const after = await get(s.id, 'alice')
  assert.equal(after.json.count, 1)
  assert.notEqual(after.json.threadId, before.json.threadId)
})
