import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RequestGate } from '../src/request-gate.ts'
import { fixture, realm, setupKinds } from './helpers.ts'

test('the gate admits up to its concurrency, queues up to its length, and refuses beyond with a coded 503', async () => {
  const gate = new RequestGate('r', 2, 1, 10_000)
  assert.equal(gate.tryEnter(), true)
  assert.equal(gate.tryEnter(), true)
  assert.equal(gate.tryEnter(), false)
  const waiting = gate.wait()
  await assert.rejects(gate.wait(), (err: Error & { code: string, statusCode: number, retryAfter: number }) =>
    err.code === 'SUP_ERR_QUEUE_FULL' && err.statusCode === 503 && err.retryAfter >= 1)
  gate.leave()
  assert.equal(await waiting, true)
  // The slot went to the waiter, not back to the pool: the count stays at the limit.
  assert.equal(gate.active, 2)
  assert.equal(gate.tryEnter(), false)
})

test('a waiter is not overtaken by a request that came after it', async () => {
  const gate = new RequestGate('r', 1, 4, 10_000)
  assert.equal(gate.tryEnter(), true)
  const order: string[] = []
  const first = gate.wait().then(() => order.push('first'))
  const second = gate.wait().then(() => order.push('second'))
  gate.leave()
  // A newcomer finds a queue and must join it.
  assert.equal(gate.tryEnter(), false)
  await first
  gate.leave()
  await second
  assert.deepEqual(order, ['first', 'second'])
})

test('a waiter past the queue deadline gets a coded 503 with Retry-After and leaves the queue', async () => {
  const gate = new RequestGate('r', 1, 4, 50)
  gate.tryEnter()
  await assert.rejects(gate.wait(), (err: Error & { code: string, retryAfter: number }) => err.code === 'SUP_ERR_QUEUE_TIMEOUT' && err.retryAfter >= 1)
  assert.equal(gate.queued, 0)
})

test('closing the gate tells every waiter to dispatch again', async () => {
  const gate = new RequestGate('r', 1, 4, 10_000)
  gate.tryEnter()
  const a = gate.wait()
  const b = gate.wait()
  gate.close()
  assert.deepEqual(await Promise.all([a, b]), [false, false])
})

test('with real workers: one session over its concurrency and queue gets 503 while another session is served', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ handler: fixture('lifecycle.ts'), concurrency: 1, queue: 1, queueTimeout: 5_000 })])
  const busy = await store.create('alice', 60_000)
  const other = await store.create('bob', 60_000)
  await call(busy.id, 'alice', 'r')
  const inFlight = call(busy.id, 'alice', 'r', '/slow?ms=400')
  const queued = call(busy.id, 'alice', 'r', '/')
  // Give both time to be admitted and queued before the third arrives.
  await new Promise(resolve => setTimeout(resolve, 50))
  await assert.rejects(call(busy.id, 'alice', 'r', '/'), (err: Error & { code: string, retryAfter: number }) => err.code === 'SUP_ERR_QUEUE_FULL' && err.retryAfter >= 1)
  const bob = await call(other.id, 'bob', 'r')
  assert.equal(bob.status, 200)
  assert.equal((await inFlight).status, 200)
  const after = JSON.parse((await queued).text)
  // The queued request ran after the slow one, in the same worker.
  assert.equal(after.count, 3)
  assert.equal(supervisor.stats().queued, 0)
})

test('with real workers: a request queued behind a worker that crashes is served by its successor', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ handler: fixture('lifecycle.ts'), concurrency: 1, queue: 4 })])
  const s = await store.create('alice', 60_000)
  const first = JSON.parse((await call(s.id, 'alice', 'r')).text)
  const dying = call(s.id, 'alice', 'r', '/die')
  const queued = call(s.id, 'alice', 'r', '/')
  await assert.rejects(dying, { code: 'SUP_ERR_WORKER_EXITED', statusCode: 502 })
  const after = await queued
  assert.equal(after.status, 200)
  assert.notEqual(JSON.parse(after.text).threadId, first.threadId)
  assert.equal(JSON.parse(after.text).count, 1)
})
