import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LockTimings } from '../src/locking-backend.ts'
import type { SessionStore } from '../src/store.ts'
import { MAX_WORKER_STATE_BYTES } from '../src/worker-state.ts'

// The worker-state half of the conformance suite: hibernated state in a
// namespace of its own per (session, realm). Called inside each backend's
// describe() by store-conformance.test.ts.

type Open = (t: TestContext, timings?: Partial<LockTimings>) => Promise<SessionStore>

const HOUR = 3_600_000
const code = (c: string, status?: number) => (err: unknown) => {
  const e = err as { code?: string, statusCode?: number }
  return e.code === c && (status === undefined || e.statusCode === status)
}

export function workerStateConformance (open: Open): void {
  test('worker state is apart from the session\'s data: no data call sees it, and no data write reaches it', async (t) => {
    const store = await open(t)
    const { id } = await store.create('alice', HOUR)
    await store.saveWorkerState(id, 'counter', '{"count":2}')
    assert.deepEqual(await store.keys(id), [])
    assert.deepEqual(await store.getAll(id), {})
    // The key the supervisor used before there was a namespace: now just a user key.
    assert.equal(await store.get(id, 'sessiond:hibernated:counter'), undefined)
    await store.put(id, 'sessiond:hibernated:counter', '{"count":1000000}')
    await store.putAll(id, { 's:counter': 'forged', 'e:counter': '99' })
    const w = await store.open(id, 'rw')
    await w.putAll({})
    await w.commit()
    assert.equal(await store.loadWorkerState(id, 'counter'), '{"count":2}')
    const h = await store.open(id, 'r')
    assert.deepEqual(await h.getAll(), {})
    await h.close()
  })

  test('a worker state loads back per realm and clear drops it', async (t) => {
    const store = await open(t)
    const { id } = await store.create('alice', HOUR)
    assert.equal(await store.loadWorkerState(id, 'a'), undefined)
    await store.saveWorkerState(id, 'a', '1')
    await store.saveWorkerState(id, 'b', '"two"')
    await store.saveWorkerState(id, 'a', '{"n":"é😀"}')
    assert.equal(await store.loadWorkerState(id, 'a'), '{"n":"é😀"}')
    assert.equal(await store.loadWorkerState(id, 'b'), '"two"')
    await store.clearWorkerState(id, 'a')
    await store.clearWorkerState(id, 'never-saved')
    assert.equal(await store.loadWorkerState(id, 'a'), undefined)
    assert.equal(await store.loadWorkerState(id, 'b'), '"two"')
  })

  test('worker state goes with its session (destroy, gc) and moves with regenerate_id', async (t) => {
    const store = await open(t)
    const gone = await store.create('bob', HOUR)
    const expiring = await store.create('bob', 1000)
    const moved = await store.create('bob', HOUR)
    for (const s of [gone, expiring, moved]) await store.saveWorkerState(s.id, 'r', `"${s.id}"`)
    await store.destroy(gone.id)
    assert.equal(await store.gc(expiring.expiresAt), 1)
    const fresh = await store.regenerateId(moved.id)
    assert.equal(await store.loadWorkerState(fresh, 'r'), `"${moved.id}"`)
    await assert.rejects(store.loadWorkerState(moved.id, 'r'), code('STORE_ERR_NO_SESSION', 404))
    await assert.rejects(store.loadWorkerState(gone.id, 'r'), code('STORE_ERR_NO_SESSION', 404))
    await assert.rejects(store.saveWorkerState(gone.id, 'r', '1'), code('STORE_ERR_NO_SESSION', 404))
    await assert.rejects(store.clearWorkerState(gone.id, 'r'), code('STORE_ERR_NO_SESSION', 404))
    // A new session under the same realm starts with nothing.
    const next = await store.create('bob', HOUR)
    assert.equal(await store.loadWorkerState(next.id, 'r'), undefined)
  })

  test('a write under an epoch older than the stored one is refused; newer or equal epochs and unfenced writes pass', async (t) => {
    const store = await open(t)
    const { id } = await store.create('carol', HOUR)
    await store.saveWorkerState(id, 'r', '"at 5"', { epoch: 5 })
    await assert.rejects(store.saveWorkerState(id, 'r', '"stale"', { epoch: 4 }), code('STORE_ERR_STALE_EPOCH', 409))
    await assert.rejects(store.clearWorkerState(id, 'r', { epoch: 4 }), code('STORE_ERR_STALE_EPOCH', 409))
    assert.equal(await store.loadWorkerState(id, 'r'), '"at 5"', 'a refused write changed nothing')
    await store.saveWorkerState(id, 'r', '"again at 5"', { epoch: 5 })
    await store.saveWorkerState(id, 'r', '"unfenced"')
    await store.saveWorkerState(id, 'r', '"at 2^53-1"', { epoch: Number.MAX_SAFE_INTEGER })
    await assert.rejects(store.saveWorkerState(id, 'r', '"stale"', { epoch: Number.MAX_SAFE_INTEGER - 1 }), code('STORE_ERR_STALE_EPOCH'))
    // A drop keeps the epoch: a stale host's late save must not come back after it.
    await store.clearWorkerState(id, 'r')
    assert.equal(await store.loadWorkerState(id, 'r'), undefined)
    await assert.rejects(store.saveWorkerState(id, 'r', '"late"', { epoch: 7 }), code('STORE_ERR_STALE_EPOCH'))
    assert.equal(await store.loadWorkerState(id, 'r'), undefined)
    // Epochs are per realm.
    await store.saveWorkerState(id, 'other', '"at 1"', { epoch: 1 })
    assert.equal(await store.loadWorkerState(id, 'other'), '"at 1"')
  })

  test('a state over MAX_WORKER_STATE_BYTES, a bad realm or a bad epoch is refused before anything is stored', async (t) => {
    const store = await open(t)
    const { id } = await store.create('dave', HOUR)
    await store.saveWorkerState(id, 'r', 'x'.repeat(MAX_WORKER_STATE_BYTES))
    assert.equal((await store.loadWorkerState(id, 'r'))?.length, MAX_WORKER_STATE_BYTES)
    await assert.rejects(store.saveWorkerState(id, 'r', 'x'.repeat(MAX_WORKER_STATE_BYTES + 1)), code('STORE_ERR_VALUE_TOO_LARGE', 413))
    await assert.rejects(store.saveWorkerState(id, 'r', '€'.repeat(Math.floor(MAX_WORKER_STATE_BYTES / 3) + 1)), code('STORE_ERR_VALUE_TOO_LARGE', 413))
    for (const bad of ['', 'Upper', '1st', 'a b', 'x'.repeat(64), 's:r', 42]) {
      await assert.rejects(store.saveWorkerState(id, bad as string, '1'), code('STORE_ERR_REALM_INVALID', 400), String(bad))
      await assert.rejects(store.loadWorkerState(id, bad as string), code('STORE_ERR_REALM_INVALID', 400))
    }
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '3']) {
      await assert.rejects(store.saveWorkerState(id, 'r', '1', { epoch: bad as number }), code('STORE_ERR_EPOCH_INVALID', 400), String(bad))
    }
    await assert.rejects(store.saveWorkerState(id, 'r', 42 as unknown as string), code('STORE_ERR_VALUE_INVALID', 400))
    assert.equal((await store.loadWorkerState(id, 'r'))?.length, MAX_WORKER_STATE_BYTES)
  })

  test('saving worker state does not count as using the session', async (t) => {
    const store = await open(t, { idleMs: 200 })
    const { id } = await store.create('erin', HOUR)
    for (let i = 0; i < 5; i++) {
      await sleep(50)
      await store.saveWorkerState(id, 'r', String(i)).catch(() => {})
    }
    assert.equal(await store.lookup(id), null)
  })
}
