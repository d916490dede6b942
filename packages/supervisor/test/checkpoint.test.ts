import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually, fixture, realm, setupKinds } from './helpers.ts'

for (const kind of ['thread', 'process'] as const) {
  test(`a ${kind} realm with checkpoint saves a live worker's state now and then, and the worker goes on`, async (t) => {
    const { store, call } = await setupKinds(t, [realm({ name: 'w', kind, handler: fixture('lifecycle.ts'), checkpoint: 100 })])
    const s = await store.create('alice', 60_000)
    const first = JSON.parse((await call(s.id, 'alice', 'w')).text)
    await call(s.id, 'alice', 'w')
    let saved: string | undefined
    await eventually(() => { void store.loadWorkerState(s.id, 'w').then(v => { saved = v }); return saved !== undefined }, 'a checkpoint was saved')
    assert.deepEqual(JSON.parse(saved!), { count: 2 })
    const third = JSON.parse((await call(s.id, 'alice', 'w')).text)
    assert.equal(third.count, 3, 'the worker kept its state')
    assert.equal(third.startedAt, first.startedAt, 'the same worker: a checkpoint stops nothing')
    assert.equal(kind === 'thread' ? third.threadId : third.pid, kind === 'thread' ? first.threadId : first.pid)
    await eventually(() => { void store.loadWorkerState(s.id, 'w').then(v => { saved = v }); return saved === '{"count":3}' }, 'the next checkpoint saved the new count')
  })
}

test('a worker that served nothing since its last checkpoint is not asked again', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'w', handler: fixture('lifecycle.ts'), checkpoint: 50 })])
  const s = await store.create('bob', 60_000)
  await call(s.id, 'bob', 'w')
  let saved: string | undefined
  await eventually(() => { void store.loadWorkerState(s.id, 'w').then(v => { saved = v }); return saved !== undefined }, 'a checkpoint was saved')
  // Dropped behind the worker's back: an idle worker's next sweeps must not write it again.
  await store.clearWorkerState(s.id, 'w')
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.equal(await store.loadWorkerState(s.id, 'w'), undefined)
})
