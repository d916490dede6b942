import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IdleReaper } from '../src/idle-reaper.ts'
import { WorkerTable } from '../src/worker-table.ts'
import type { WorkerEntry } from '../src/worker-table.ts'
import type { WorkerInstance } from '../src/worker-instance.ts'
import { realm, setup } from './helpers.ts'

function entry (sessionId: string, lastActivity: number, inFlight = 0): WorkerEntry {
  const worker = { inFlight, lastActivity } as WorkerInstance
  return { sessionId, realm: 'r', ready: Promise.resolve(worker), worker }
}

test('reaps a worker idle past its timeout and spares busy and recent ones', (t) => {
  const table = new WorkerTable()
  const retired: string[] = []
  const reaper = new IdleReaper(table, () => 1000, (e) => { retired.push(e.sessionId); table.delete(e) }, 60_000)
  t.after(() => reaper.close())
  table.add(entry('idle', 0))
  table.add(entry('busy', 0, 1))
  table.add(entry('recent', 500))
  reaper.sweep(1200)
  assert.deepEqual(retired, ['idle'])
  assert.equal(table.size, 2)
})

test('the sweep period is a quarter of the shortest idle timeout, within bounds', () => {
  assert.equal(IdleReaper.period([400, 60_000]), 100)
  assert.equal(IdleReaper.period([1]), 10)
  assert.equal(IdleReaper.period([3_600_000]), 5_000)
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
