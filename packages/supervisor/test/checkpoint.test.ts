import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually, fixture, realm, setupKinds } from './helpers.ts'

// The thread and context kinds' checkpoints are context-kind.test.ts's; this is the process kind's (over IPC), and a thread's beside it.
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
