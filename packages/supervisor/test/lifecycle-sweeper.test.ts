import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LifecycleSweeper } from '../src/lifecycle-sweeper.ts'
import { WorkerTable } from '../src/worker-table.ts'
import type { WorkerEntry } from '../src/worker-table.ts'
import type { Worker } from '../src/kinds/worker-kind.ts'
import type { StopPolicy } from '../src/lifecycle-sweeper.ts'
import { RequestGate } from '../src/request-gate.ts'
import { realm, setup } from './helpers.ts'

function entry (sessionId: string, lastActivity: number, inFlight = 0): WorkerEntry {
  const worker = { inFlight, lastActivity } as Worker
  return { sessionId, realm: 'r', config: realm(), gate: new RequestGate('r', 1, 0, 1000), startedAt: 0, ready: Promise.resolve(worker), worker }
}

const idleAfter = (ms: number): StopPolicy => (_e, w, now) => now - w.lastActivity >= ms ? 'idle' : null

test('reaps a worker idle past its timeout and spares busy and recent ones', (t) => {
  const table = new WorkerTable()
  const retired: string[] = []
  const reaper = new LifecycleSweeper(table, idleAfter(1000), (e) => { retired.push(e.sessionId); table.delete(e) }, 60_000)
  t.after(() => reaper.close())
  table.add(entry('idle', 0))
  table.add(entry('busy', 0, 1))
  table.add(entry('recent', 500))
  reaper.sweep(1200)
  assert.deepEqual(retired, ['idle'])
  assert.equal(table.size, 2)
})

test('a busy worker is never asked about, however overdue', (t) => {
  const table = new WorkerTable()
  let asked = 0
  const reaper = new LifecycleSweeper(table, () => { asked++; return 'replaced' }, () => assert.fail('retired a busy worker'), 60_000)
  t.after(() => reaper.close())
  table.add(entry('busy', 0, 2))
  reaper.sweep(1e12)
  assert.equal(asked, 0)
})

test('the sweep period is a quarter of the shortest deadline, ignoring unset ones, within bounds', () => {
  assert.equal(LifecycleSweeper.period([400, 60_000]), 100)
  assert.equal(LifecycleSweeper.period([1]), 10)
  assert.equal(LifecycleSweeper.period([3_600_000, 0, undefined]), 5_000)
})

test('a real idle worker is stopped and its slot starts afresh', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ idleTimeout: 100 })])
  const s = await store.create('alice', 60_000)
  const first = await get(s.id, 'alice')
  assert.ok(supervisor.hasWorker(s.id, 'r'))
  // Time passing is what is under test; poll the table rather than guess.
  const deadline = Date.now() + 5_000
  while (supervisor.hasWorker(s.id, 'r') && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(supervisor.hasWorker(s.id, 'r'), false)
  assert.equal(supervisor.stats().reaped, 1)
  const again = await get(s.id, 'alice')
  assert.equal(again.json.count, 1)
  assert.notEqual(again.json.threadId, first.json.threadId)
})
