import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LockWaiters } from '../src/lock-waiters.ts'

test('notify wakes every waiter of that id at once, and only those', async () => {
  const w = new LockWaiters()
  let other = false
  const a = w.wait('a', 60_000)
  const b = w.wait('a', 60_000)
  const c = w.wait('c', 20).then(() => { other = true })
  assert.equal(w.size, 3)
  w.notify('a')
  await Promise.all([a, b])
  assert.equal(other, false)
  await c
  assert.equal(w.size, 0)
})

test('a release between taking a mark and waiting is not slept through', async () => {
  const w = new LockWaiters()
  const mark = w.mark
  w.notify('x')
  const started = performance.now()
  await w.wait('x', 60_000, mark)
  assert.ok(performance.now() - started < 1000)
  assert.equal(w.size, 0)
})
