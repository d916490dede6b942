import { test } from 'node:test'
import assert from 'node:assert/strict'
import { eventually, fixture, realm, setupKinds } from './helpers.ts'

for (const kind of ['thread', 'process'] as const) {
  test(`kind ${kind}: a new session claims a pre-warmed spare, which ran no session code before, and the pool refills`, async (t) => {
    // A root supervisor runs a process worker as root only when the realm says so; only then may its module load ahead.
    const runAs = kind === 'process' && process.getuid?.() === 0 ? { runAs: { user: 'root' } } : {}
    const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'w', kind, handler: fixture('lifecycle.ts'), spares: 1, ...runAs })])
    await eventually(() => supervisor.stats().spares.w?.ready === 1, 'the spare is ready')
    const s = await store.create('alice', 60_000)
    const claimedAt = Date.now()
    const first = JSON.parse((await call(s.id, 'alice', 'w')).text)
    // Its module was loaded before the session existed; start ran for this session only.
    assert.ok(first.loadedAt < claimedAt, 'the handler module was loaded ahead of time')
    assert.ok(first.startedAt >= claimedAt, 'start ran at the claim')
    assert.equal(first.session, s.id)
    assert.equal(first.user, 'alice')
    assert.equal(supervisor.stats().claimedSpares, 1)
    await eventually(() => supervisor.stats().spares.w?.ready === 1, 'the pool refilled')
    // The refill is a different worker, and the next session gets it.
    const b = await store.create('bob', 60_000)
    const second = JSON.parse((await call(b.id, 'bob', 'w')).text)
    assert.equal(second.count, 1)
    assert.equal(second.user, 'bob')
    assert.notDeepEqual([second.pid, second.threadId], [first.pid, first.threadId])
    assert.equal(supervisor.stats().claimedSpares, 2)
  })
}

test('a spare that cannot boot is retried with growing delays, not in a loop, and sessions still get a coded error', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'w', handler: fixture('does-not-exist.ts'), spares: 2 })])
  await eventually(() => supervisor.stats().spares.w?.failed === 2, 'the first round of boots failed')
  // The next attempt waits a second: nothing boots meanwhile.
  await new Promise(resolve => setTimeout(resolve, 300))
  assert.deepEqual(supervisor.stats().spares.w, { ready: 0, booting: 0, failed: 2 })
  const s = await store.create('alice', 60_000)
  await assert.rejects(call(s.id, 'alice', 'w'), { code: 'SUP_ERR_WORKER_START', statusCode: 502 })
})

test('reconfigure stops the spares of a changed realm and warms ones of the new definition', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'w', handler: fixture('lifecycle.ts'), spares: 1 })])
  await eventually(() => supervisor.stats().spares.w?.ready === 1, 'the first spare is ready')
  const summary = await supervisor.reconfigure([realm({ name: 'w', handler: fixture('counter.ts'), spares: 1 })])
  assert.deepEqual(summary, { added: [], changed: ['w'], removed: [] })
  await eventually(() => supervisor.stats().spares.w?.ready === 1, 'a spare of the new definition is ready')
  const s = await store.create('alice', 60_000)
  const body = JSON.parse((await call(s.id, 'alice', 'w')).text)
  // counter.ts answers without the lifecycle fields.
  assert.equal(body.loadedAt, undefined)
  assert.equal(body.count, 1)
  assert.equal(supervisor.stats().claimedSpares, 1)
})
