import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixture, realm, setup } from './helpers.ts'

test('ctx.store.open(rw)/commit() serialise writers across workers and requests: no update lost', async (t) => {
  const handler = fixture('locked-counter.ts')
  const { store, get } = setup(t, [realm({ name: 'a', handler }), realm({ name: 'b', handler })])
  const s = await store.create('alice', 60_000)
  // Two workers of one session (one per realm), each with concurrent requests.
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(s.id, 'alice', '/', i % 2 ? 'a' : 'b')))
  for (const r of answers) assert.equal(r.status, 200)
  assert.equal(await store.get(s.id, 'n'), '40')
  assert.deepEqual(answers.map(r => r.json.n).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1))
})

test('a worker that dies holding the rw lock gives it up at once: the next writer does not wait out the lease, and the dead write is lost', async (t) => {
  const handler = fixture('locked-counter.ts')
  const { store, get } = setup(t, [realm({ name: 'a', handler }), realm({ name: 'b', handler })])
  const s = await store.create('alice', 60_000)
  assert.equal((await get(s.id, 'alice', '/', 'a')).json.n, 1)
  await assert.rejects(get(s.id, 'alice', '/die-holding', 'a'), { code: 'SUP_ERR_WORKER_EXITED' })
  // The lease is 30 s and a writer waits 10 s at most: without the release this would fail.
  const next = await get(s.id, 'alice', '/', 'b')
  assert.equal(next.status, 200)
  assert.equal(next.json.n, 2)
})
