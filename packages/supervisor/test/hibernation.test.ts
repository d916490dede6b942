import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixture, realm, setup } from './helpers.ts'

async function untilReaped (has: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (has() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(has(), false, 'the worker was reaped')
}

test('an idle stop hibernates the worker and the session\'s next worker resumes from its state', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ handler: fixture('resumable.ts'), idleTimeout: 100 })])
  const s = await store.create('alice', 60_000)
  await get(s.id, 'alice')
  const second = await get(s.id, 'alice')
  assert.equal(second.json.count, 2)
  await untilReaped(() => supervisor.hasWorker(s.id, 'r'))
  // Saved in the session store's worker-state namespace, once the stop completes.
  let saved: string | undefined
  for (const deadline = Date.now() + 5_000; saved === undefined && Date.now() < deadline;) {
    saved = await store.loadWorkerState(s.id, 'r')
    if (saved === undefined) await new Promise(resolve => setTimeout(resolve, 20))
  }
  assert.deepEqual(JSON.parse(saved!), { count: 2 })

  const resumed = await get(s.id, 'alice')
  assert.notEqual(resumed.json.threadId, second.json.threadId, 'a new worker')
  assert.deepEqual(resumed.json.resumedFrom, { count: 2 })
  assert.equal(resumed.json.count, 3, 'it keeps counting')
  assert.equal(await store.loadWorkerState(s.id, 'r'), undefined, 'the saved state is consumed')
})

test('shutdown hibernates every worker; logout does not', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ handler: fixture('resumable.ts') })])
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  await get(a.id, 'alice')
  await get(b.id, 'bob')
  await get(b.id, 'bob')
  await supervisor.stopSession(a.id, 'logout')
  assert.equal(await store.loadWorkerState(a.id, 'r'), undefined)
  await supervisor.close()
  assert.deepEqual(JSON.parse((await store.loadWorkerState(b.id, 'r'))!), { count: 2 })
})

test('a handler without hibernate starts cold after an idle stop', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ idleTimeout: 100 })])
  const s = await store.create('alice', 60_000)
  await get(s.id, 'alice')
  await untilReaped(() => supervisor.hasWorker(s.id, 'r'))
  assert.deepEqual(await store.keys(s.id), [])
  assert.equal((await get(s.id, 'alice')).json.count, 1)
})
