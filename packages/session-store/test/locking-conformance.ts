import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LockTimings } from '../src/locking-backend.ts'
import type { SessionStore } from '../src/store.ts'

// The locking half of the conformance suite: `open r|rw`, leases, fencing,
// commit/close, regenerate_id, put_all, idle expiry. Called inside each
// backend's describe() by store-conformance.test.ts.

type Open = (t: TestContext, timings?: Partial<LockTimings>) => Promise<SessionStore>

const HOUR = 3_600_000
const code = (c: string, status?: number) => (err: unknown) => {
  const e = err as { code?: string, statusCode?: number }
  return e.code === c && (status === undefined || e.statusCode === status)
}

export function lockingConformance (open: Open): void {
  test('rw writes reach readers only at commit, and commit turns rw into r', async (t) => {
    const store = await open(t)
    const { id } = await store.create('alice', HOUR)
    await store.put(id, 'k', 'old')
    const w = await store.open(id, 'rw')
    assert.equal(w.mode, 'rw')
    await w.put('k', 'new')
    await w.put('added', 'a')
    const r = await store.open(id, 'r')
    assert.equal(await r.get('k'), 'old', 'r sees the last committed data')
    assert.equal(await store.get(id, 'added'), undefined)
    await w.commit()
    assert.equal(w.mode, 'r')
    assert.equal(await r.get('k'), 'new')
    assert.deepEqual(await store.getAll(id), { k: 'new', added: 'a' })
    await assert.rejects(w.put('k', 'again'), code('STORE_ERR_READ_ONLY', 409))
  })

  test('a rw handle reads its own pending writes', async (t) => {
    const store = await open(t)
    const { id } = await store.create('alice', HOUR)
    await store.putAll(id, { a: '1', b: '2', c: '3' })
    const w = await store.open(id, 'rw')
    await w.put('d', '4')
    await w.remove('b')
    await w.put('a', 'one')
    assert.equal(await w.get('a'), 'one')
    assert.equal(await w.get('b'), undefined)
    assert.equal(await w.exists('b'), false)
    assert.equal(await w.exists('d'), true)
    assert.deepEqual(await w.keys(), ['a', 'c', 'd'])
    assert.deepEqual(await w.getAll(), { a: 'one', c: '3', d: '4' })
    await w.putAll({ z: '26' })
    assert.deepEqual(await w.keys(), ['z'])
    assert.equal(await w.get('a'), undefined)
    await w.close()
    assert.deepEqual(await store.getAll(id), { z: '26' })
  })

  test('a second rw waits up to its deadline, then fails with STORE_ERR_LOCK_TIMEOUT', async (t) => {
    const store = await open(t)
    const { id } = await store.create('bob', HOUR)
    const first = await store.open(id, 'rw')
    const started = Date.now()
    await assert.rejects(store.open(id, 'rw', { waitMs: 60 }), code('STORE_ERR_LOCK_TIMEOUT', 423))
    assert.ok(Date.now() - started >= 60, 'it waited')
    await first.close()
  })

  test('a waiting rw gets the lock as soon as the holder commits', async (t) => {
    const store = await open(t)
    const { id } = await store.create('bob', HOUR)
    const first = await store.open(id, 'rw')
    await first.put('n', '1')
    const second = store.open(id, 'rw', { waitMs: 5000 })
    await first.commit()
    const w = await second
    assert.equal(await w.get('n'), '1', 'the next writer reads the first one\'s commit')
    await w.close()
  })

  test('r never waits for a rw holder', async (t) => {
    const store = await open(t, { lockWaitMs: 5000 })
    const { id } = await store.create('carol', HOUR)
    await store.put(id, 'k', 'v')
    const w = await store.open(id, 'rw')
    const started = Date.now()
    const r = await store.open(id, 'r')
    assert.equal(await r.get('k'), 'v')
    assert.equal(await store.get(id, 'k'), 'v')
    assert.deepEqual(await store.keys(id), ['k'])
    assert.ok(Date.now() - started < 1000)
    await w.close()
  })

  test('a single put waits for the rw holder and lands after its commit', async (t) => {
    const store = await open(t)
    const { id } = await store.create('carol', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'from-holder')
    const single = store.put(id, 'k', 'from-single')
    await w.commit()
    await single
    assert.equal(await store.get(id, 'k'), 'from-single')
  })

  test('a single write fails with STORE_ERR_LOCK_TIMEOUT while the lock stays held', async (t) => {
    const store = await open(t, { lockWaitMs: 50 })
    const { id } = await store.create('carol', HOUR)
    const w = await store.open(id, 'rw')
    await assert.rejects(store.put(id, 'k', 'v'), code('STORE_ERR_LOCK_TIMEOUT'))
    await assert.rejects(store.regenerateId(id), code('STORE_ERR_LOCK_TIMEOUT'))
    await w.close()
    await store.put(id, 'k', 'v')
  })

  test('a holder whose lease ended loses the lock and its late writes are refused', async (t) => {
    const store = await open(t, { leaseMs: 80 })
    const { id } = await store.create('dave', HOUR)
    const late = await store.open(id, 'rw')
    await late.put('k', 'late')
    // The next writer waits for the lease to end: no commit, no release.
    const next = await store.open(id, 'rw', { waitMs: 5000 })
    await next.put('k', 'next')
    await next.commit()
    await assert.rejects(late.commit(), code('STORE_ERR_LOCK_LOST', 409))
    assert.equal(await store.get(id, 'k'), 'next')
  })

  test('a late write is refused even when nobody took the lock over', async (t) => {
    const store = await open(t, { leaseMs: 50 })
    const { id } = await store.create('dave', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'v')
    await sleep(80)
    await assert.rejects(w.put('k', 'w'), code('STORE_ERR_LOCK_LOST'))
    await assert.rejects(w.close(), code('STORE_ERR_LOCK_LOST'))
    assert.equal(await store.exists(id, 'k'), false)
    const again = await store.open(id, 'rw', { waitMs: 0 })
    await again.close()
  })

  test('close commits and ends the handle', async (t) => {
    const store = await open(t)
    const { id } = await store.create('erin', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'v')
    await w.close()
    await w.close()
    assert.equal(await store.get(id, 'k'), 'v')
    await assert.rejects(w.get('k'), code('STORE_ERR_HANDLE_CLOSED'))
    const next = await store.open(id, 'rw', { waitMs: 0 })
    await next.close()
  })

  test('discard drops pending writes and frees the lock at once', async (t) => {
    const store = await open(t)
    const { id } = await store.create('erin', HOUR)
    await store.put(id, 'k', 'kept')
    const w = await store.open(id, 'rw')
    await w.put('k', 'dropped')
    await w.discard()
    assert.equal(await store.get(id, 'k'), 'kept')
    const next = await store.open(id, 'rw', { waitMs: 0 })
    await next.close()
  })

  test('open fails on a missing session and on an unknown mode', async (t) => {
    const store = await open(t)
    await assert.rejects(store.open('f'.repeat(64), 'r'), code('STORE_ERR_NO_SESSION'))
    await assert.rejects(store.open('f'.repeat(64), 'rw'), code('STORE_ERR_NO_SESSION'))
    const { id } = await store.create('erin', HOUR)
    await assert.rejects(store.open(id, 'x' as 'r'), code('STORE_ERR_MODE_INVALID'))
  })

  test('destroy through a handle ends the session for every other holder', async (t) => {
    const store = await open(t)
    const { id } = await store.create('frank', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'v')
    const r = await store.open(id, 'r')
    await r.destroy()
    assert.equal(await store.lookup(id), null)
    await assert.rejects(r.get('k'), code('STORE_ERR_HANDLE_CLOSED'))
    await assert.rejects(w.commit(), code('STORE_ERR_NO_SESSION'))
  })

  test('regenerateId moves the data to a new id and the old id is gone at once', async (t) => {
    const store = await open(t)
    const s = await store.create('grace', HOUR)
    await store.putAll(s.id, { a: '1', b: '2' })
    const fresh = await store.regenerateId(s.id)
    assert.match(fresh, /^[0-9a-f]{64}$/)
    assert.notEqual(fresh, s.id)
    assert.equal(await store.lookup(s.id), null)
    await assert.rejects(store.get(s.id, 'a'), code('STORE_ERR_NO_SESSION'))
    assert.deepEqual(await store.getAll(fresh), { a: '1', b: '2' })
    assert.deepEqual(await store.lookup(fresh), { ...s, id: fresh })
  })

  test('a rw holder keeps its lock and pending writes across regenerateId', async (t) => {
    const store = await open(t)
    const { id } = await store.create('grace', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'v')
    const fresh = await w.regenerateId()
    assert.equal(w.id, fresh)
    await assert.rejects(store.open(fresh, 'rw', { waitMs: 30 }), code('STORE_ERR_LOCK_TIMEOUT'))
    await assert.rejects(store.open(id, 'r'), code('STORE_ERR_NO_SESSION'))
    await w.commit()
    assert.equal(await store.get(fresh, 'k'), 'v')
  })

  test('onSessionEnd hears every id that destroy or regenerateId ends, by any path', async (t) => {
    const store = await open(t)
    const ended: string[] = []
    const off = store.onSessionEnd(id => ended.push(id))
    const a = await store.create('grace', HOUR)
    const b = await store.create('grace', HOUR)
    const c = await store.create('grace', HOUR)
    await store.destroy(a.id)
    await store.destroy(a.id)
    const fresh = await store.regenerateId(b.id)
    const h = await store.open(c.id, 'rw')
    const moved = await h.regenerateId()
    await h.destroy()
    assert.deepEqual(ended, [a.id, b.id, c.id, moved])
    off()
    await store.destroy(fresh)
    assert.equal(ended.length, 4)
  })

  test('onSessionEnd hears the ids gc removes, once, expired by age or by idleness', async (t) => {
    const store = await open(t, { idleMs: 150 })
    const ended: string[] = []
    store.onSessionEnd(id => ended.push(id))
    // Redis drops an expired session's keys by itself before gc runs: gc must report it all the same.
    const old = await store.create('grace', 100)
    const idle = await store.create('grace', HOUR)
    const live = await store.create('grace', HOUR)
    for (let i = 0; i < 4; i++) {
      await sleep(50)
      await (await store.open(live.id, 'r')).close()
    }
    assert.equal(await store.gc(), 2)
    assert.deepEqual(ended.sort(), [old.id, idle.id].sort())
    assert.equal(await store.gc(), 0)
    assert.equal(ended.length, 2)
  })

  test('putAll replaces every key, and a bad entry changes nothing', async (t) => {
    const store = await open(t)
    const { id } = await store.create('heidi', HOUR)
    await store.putAll(id, { a: '1', b: '2' })
    await store.putAll(id, { c: '3', __proto__x: 'p' })
    assert.deepEqual(await store.getAll(id), { c: '3', __proto__x: 'p' })
    await assert.rejects(store.putAll(id, { d: '4', e: 5 as unknown as string }), code('STORE_ERR_VALUE_INVALID'))
    await assert.rejects(store.putAll(id, { '': 'x' }), code('STORE_ERR_KEY_INVALID'))
    assert.deepEqual(await store.keys(id), ['__proto__x', 'c'])
    await store.putAll(id, {})
    assert.deepEqual(await store.getAll(id), {})
  })

  test('a session unused past the idle timeout expires; opening it keeps it alive', async (t) => {
    const store = await open(t, { idleMs: 150 })
    const used = await store.create('ivan', HOUR)
    const idle = await store.create('ivan', HOUR)
    for (let i = 0; i < 4; i++) {
      await sleep(50)
      await (await store.open(used.id, 'r')).close()
    }
    assert.equal(await store.lookup(idle.id), null)
    await assert.rejects(store.get(idle.id, 'k'), code('STORE_ERR_NO_SESSION'))
    assert.deepEqual(await store.lookup(used.id), used)
    assert.equal(await store.gc(), 1)
  })

  test('a touch keeps a session in use alive past the idle timeout, and gc ends only the idle one', async (t) => {
    // Wide margins: a loaded machine oversleeps, and a used session must never look idle.
    const store = await open(t, { idleMs: 1000 })
    const ended: string[] = []
    store.onSessionEnd(id => ended.push(id))
    const used = await store.create('ivan', HOUR)
    const idle = await store.create('ivan', HOUR)
    for (let i = 0; i < 6; i++) {
      await sleep(200)
      store.touch(used.id)
    }
    assert.equal(await store.lookup(idle.id), null)
    assert.deepEqual(await store.lookup(used.id), used)
    assert.equal(await store.get(used.id, 'k'), undefined, 'data calls see it live too')
    assert.equal(await store.gc(), 1)
    assert.deepEqual(ended, [idle.id])
  })

  test('a touch still in the batch counts for lookup and gc before it is written', async (t) => {
    // A flush far away: only the lookup and the gc can have written these touches.
    const store = await open(t, { idleMs: 2000, touchFlushMs: 60_000 })
    const a = await store.create('ivan', HOUR)
    const b = await store.create('ivan', HOUR)
    await sleep(1000)
    store.touch(a.id)
    store.touch(b.id)
    // Past the idle timeout counted from creation, within it from the touch.
    await sleep(1300)
    assert.deepEqual(await store.lookup(a.id), a)
    assert.equal(await store.gc(), 0)
    assert.deepEqual(await store.lookup(b.id), b)
  })

  test('a touch of a session that is gone, or was never there, is skipped without failing', async (t) => {
    const store = await open(t, { touchFlushMs: 60_000 })
    const gone = await store.create('ivan', HOUR)
    await store.destroy(gone.id)
    store.touch(gone.id)
    store.touch('f'.repeat(64))
    store.touch('not-an-id')
    await store.flushTouches()
    assert.equal(await store.lookup(gone.id), null)
  })

  test('50 writers incrementing one key through rw lose no update', async (t) => {
    const store = await open(t, { lockWaitMs: 30_000 })
    const { id } = await store.create('judy', HOUR)
    await store.put(id, 'n', '0')
    await Promise.all(Array.from({ length: 50 }, async () => {
      const w = await store.open(id, 'rw')
      const n = Number(await w.get('n'))
      await w.put('n', String(n + 1))
      await w.commit()
    }))
    assert.equal(await store.get(id, 'n'), '50')
  })
}
