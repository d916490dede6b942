import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CrashBackoff } from '../src/crash-backoff.ts'
import { realm, setup } from './helpers.ts'

test('backs off after the crash limit within the window, doubling up to the maximum', () => {
  const b = new CrashBackoff({ limit: 3, windowMs: 10_000, baseMs: 1_000, maxMs: 3_000 })
  b.record('k', 0)
  b.record('k', 100)
  assert.equal(b.wait('k', 200), 0, 'two crashes: restart at once')
  b.record('k', 200)
  assert.equal(b.wait('k', 200), 1_000)
  b.record('k', 1_300)
  assert.equal(b.wait('k', 1_300), 2_000)
  b.record('k', 3_400)
  assert.equal(b.wait('k', 3_400), 3_000, 'capped')
  assert.equal(b.wait('other', 3_400), 0, 'slots are independent')
})

test('crashes older than the window are forgotten', () => {
  const b = new CrashBackoff({ limit: 2, windowMs: 1_000, baseMs: 500, maxMs: 5_000 })
  b.record('k', 0)
  b.record('k', 2_000)
  assert.equal(b.wait('k', 2_000), 0)
})

test('a worker that keeps crashing answers 503 with Retry-After instead of restarting; other sessions go on', async (t) => {
  const { store, get } = setup(t, [realm()])
  const s = await store.create('alice', 60_000)
  const other = await store.create('bob', 60_000)
  for (let i = 0; i < 3; i++) {
    const hanging = get(s.id, 'alice', '/hang')
    await get(s.id, 'alice', '/exit')
    await assert.rejects(hanging, { code: 'SUP_ERR_WORKER_EXITED' })
  }
  await assert.rejects(get(s.id, 'alice'), (err: { code: string, statusCode: number, retryAfter: number }) => {
    assert.equal(err.code, 'SUP_ERR_WORKER_BACKOFF')
    assert.equal(err.statusCode, 503)
    assert.ok(err.retryAfter >= 1)
    return true
  })
  assert.equal((await get(other.id, 'bob')).json.count, 1)
})
