import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { MemoryStore } from '@sessiond/session-store'
import { Supervisor } from '../src/supervisor.ts'
import { makeRoom } from '../src/worker-limits.ts'
import { RequestGate } from '../src/request-gate.ts'
import type { WorkerEntry } from '../src/worker-table.ts'
import type { Worker } from '../src/kinds/worker-kind.ts'
import { bodyBytes, fixture, realm } from './helpers.ts'

function entry (sessionId: string, user: string, realmName: string, lastActivity: number, inFlight = 0): WorkerEntry {
  const worker = { inFlight, lastActivity } as Worker
  return { sessionId, user, realm: realmName, config: realm({ name: realmName }), gate: new RequestGate(realmName, 1, 0, 1000), startedAt: 0, ready: Promise.resolve(worker), worker }
}

test('under its limits a new worker needs no room', () => {
  const verdict = makeRoom([entry('a', 'u1', 'r', 1)], entry('b', 'u2', 'r', 0), { maxWorkers: 2 }, undefined)
  assert.deepEqual(verdict, { evict: [] })
})

test('at the host limit the least recently used idle worker makes room', () => {
  const old = entry('a', 'u1', 'r', 1)
  const recent = entry('b', 'u2', 'r', 5)
  const verdict = makeRoom([recent, old], entry('c', 'u3', 'r', 0), { maxWorkers: 2 }, undefined)
  assert.deepEqual(verdict.evict, [old])
})

test('the per-user and per-realm limits only count their own scope', () => {
  const mine = entry('a', 'u1', 'r', 9)
  const theirs = entry('b', 'u2', 'r', 1)
  assert.deepEqual(makeRoom([mine, theirs], entry('c', 'u1', 'r', 0), { maxWorkersPerUser: 1 }, undefined).evict, [mine])
  const other = entry('d', 'u3', 's', 0)
  assert.deepEqual(makeRoom([other, theirs], entry('e', 'u4', 's', 0), {}, 1).evict, [other])
})

test('a full scope with every worker busy is refused, not queued', () => {
  const verdict = makeRoom([entry('a', 'u1', 'r', 1, 2)], entry('b', 'u2', 'r', 0), { maxWorkers: 1 }, undefined)
  assert.deepEqual(verdict, { evict: [], full: { scope: 'host', limit: 1 } })
})

test('with real workers: the idle one hibernates to make room and resumes later; all busy answers 503 with Retry-After', async (t) => {
  const store = new MemoryStore()
  const supervisor = new Supervisor({
    realms: [realm({ handler: fixture('resumable.ts') }), realm({ name: 'h', handler: fixture('counter.ts') })],
    store,
    logger: pino({ level: 'silent' }),
    limits: { maxWorkers: 2 }
  })
  t.after(() => supervisor.close())
  const get = async (sessionId: string, path = '/', realmName = 'r') => {
    const res = await supervisor.dispatch({ identity: { sessionId, user: (await store.lookup(sessionId))!.user }, realm: realmName, method: 'GET', url: 'http://x' + path, headers: [], body: null })
    return JSON.parse(Buffer.from(await bodyBytes(res)).toString())
  }
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => store.create('x', 60_000)))
  await get(a.id)
  await get(a.id)
  await get(b.id)
  await get(c.id)
  assert.equal(supervisor.hasWorker(a.id, 'r'), false, 'the least recently used worker made room')
  assert.equal(supervisor.stats().workers, 2)
  assert.equal((await get(a.id)).count, 3, 'and its session resumed where it was')

  // Fill both places with busy workers: the third has nowhere to go.
  const [d, e, f] = await Promise.all([1, 2, 3].map(() => store.create('x', 60_000)))
  const hanging = [get(d.id, '/hang', 'h'), get(e.id, '/hang', 'h')]
  for (const p of hanging) p.catch(() => { /* ended by close */ })
  while (supervisor.stats().byRealm.h < 2) await new Promise(resolve => setTimeout(resolve, 10))
  await assert.rejects(get(f.id), (err: { code: string, statusCode: number, retryAfter: number }) => {
    assert.deepEqual([err.code, err.statusCode, err.retryAfter], ['SUP_ERR_WORKER_LIMIT', 503, 1])
    return true
  })
})
