import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemoryStore } from '../src/memory-store.ts'
import { scopeOf } from '../src/session-scope.ts'

const HOUR = 3_600_000

test('a scope makes single operations until open, then goes through its handle until commit', async (t) => {
  const store = new MemoryStore({ lockWaitMs: 50 })
  t.after(() => store.close())
  const { id } = await store.create('alice', HOUR)
  const scope = scopeOf(store, id)
  await scope.put('a', '1')
  assert.equal(await store.get(id, 'a'), '1', 'a single put lands at once')
  await scope.open('rw')
  await scope.put('a', '2')
  assert.equal(await scope.get('a'), '2')
  assert.equal(await store.get(id, 'a'), '1', 'not before commit')
  await assert.rejects(store.put(id, 'a', 'x'), (err: { code?: string }) => err.code === 'STORE_ERR_LOCK_TIMEOUT')
  await scope.open('r')
  assert.equal(await scope.get('a'), '2', 'open r while holding rw keeps the rw handle')
  await scope.commit()
  assert.equal(await store.get(id, 'a'), '2')
  await scope.commit()
})

test('release drops pending writes and the lock', async (t) => {
  const store = new MemoryStore()
  t.after(() => store.close())
  const { id } = await store.create('bob', HOUR)
  const scope = scopeOf(store, id)
  await scope.open('rw')
  await scope.put('k', 'v')
  await scope.release()
  assert.equal(await store.exists(id, 'k'), false)
  const w = await store.open(id, 'rw', { waitMs: 0 })
  await w.close()
})

test('an open r scope refuses writes until commit', async (t) => {
  const store = new MemoryStore()
  t.after(() => store.close())
  const { id } = await store.create('carol', HOUR)
  const scope = scopeOf(store, id)
  await scope.open('r')
  await assert.rejects(scope.put('k', 'v'), (err: { code?: string }) => err.code === 'STORE_ERR_READ_ONLY')
  await scope.commit()
  await scope.put('k', 'v')
  assert.equal(await store.get(id, 'k'), 'v')
})
