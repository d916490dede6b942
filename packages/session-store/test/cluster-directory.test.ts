import { after, before, describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { placementKey } from '../src/cluster-directory.ts'
import type { ClusterDirectory, MemberInfo } from '../src/cluster-directory.ts'
import { RedisStore } from '../src/redis-store.ts'
import { redisSkipReason, startRedis } from './redis-server.ts'
import type { RedisServer } from './redis-server.ts'

const HOUR = 3_600_000
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c

function member (host: string, extra: Partial<MemberInfo> = {}): MemberInfo {
  return { host, address: `http://${host}.test:7100`, capacity: 100, workers: 0, draining: false, ...extra }
}

describe('ClusterDirectory', { skip: redisSkipReason() }, () => {
  let server: RedisServer
  let prefixes = 0
  before(async () => { server = await startRedis() })
  after(() => server?.stop())

  async function open (t: TestContext): Promise<{ store: RedisStore, dir: ClusterDirectory }> {
    const store = await RedisStore.connect({ url: server.url, prefix: `dir${++prefixes}:` })
    const dir = await store.directory()
    t.after(async () => {
      await dir.close()
      await store.close()
    })
    return { store, dir }
  }

  test('a host id has one live incarnation: a second is refused until the first one\'s lease runs out, which its renewal then learns', async (t) => {
    const { dir } = await open(t)
    const first = await dir.join(member('s1'), 'inc-1', 300)
    assert.equal(first.leaseEnd - first.now, 300, 'the lease is counted on Redis\'s clock')
    await assert.rejects(dir.join(member('s1'), 'inc-2', 300), code('STORE_ERR_HOST_TAKEN'))
    assert.ok(await dir.renew(member('s1', { workers: 3 }), 'inc-1', 300))
    assert.deepEqual((await dir.members()).members.map(m => [m.host, m.workers]), [['s1', 3]])
    await sleep(350)
    assert.deepEqual((await dir.members()).members, [], 'a lapsed lease is no member')
    assert.equal(await dir.renew(member('s1'), 'inc-1', 300), null, 'a lapsed lease is not renewed: its holder must join again')
    await dir.join(member('s1'), 'inc-2', 1000)
    assert.equal(await dir.renew(member('s1'), 'inc-1', 300), null, 'the old incarnation cannot renew over the new one')
    await dir.leave('s1', 'inc-1')
    assert.equal((await dir.members()).members.length, 1, 'only its own incarnation can leave')
    await dir.leave('s1', 'inc-2')
    assert.deepEqual((await dir.members()).members, [])
  })

  test('a placement is claimed once, moved only by its host, taken over only once its host\'s lease ran out, and its epoch rises each time', async (t) => {
    const { store, dir } = await open(t)
    await dir.join(member('a'), 'ia', 60_000)
    await dir.join(member('b'), 'ib', 60_000)
    await dir.join(member('c'), 'ic', 300)
    await dir.join(member('d', { draining: true }), 'id', 60_000)
    const { id } = await store.create('alice', HOUR)
    assert.equal(await dir.read(id, 'notes'), null)

    const claimed = await dir.place(id, 'notes', 'a', 0, 'claim')
    assert.deepEqual(claimed, { placed: true, placement: { host: 'a', epoch: 1 } })
    assert.deepEqual(await dir.place(id, 'notes', 'b', 0, 'claim'), { placed: false, placement: { host: 'a', epoch: 1 }, why: 'moved' }, 'a second gateway\'s claim finds the first one\'s')
    assert.deepEqual(await dir.place(id, 'notes', 'b', 1, 'claim'), { placed: false, placement: { host: 'a', epoch: 1 }, why: 'live' }, 'a live host keeps what it holds')
    assert.deepEqual(await dir.place(id, 'notes', 'b', 1, 'move', 'b'), { placed: false, placement: { host: 'a', epoch: 1 }, why: 'owner' })
    assert.deepEqual(await dir.place(id, 'notes', 'nobody', 1, 'move', 'a'), { placed: false, placement: { host: 'a', epoch: 1 }, why: 'target' })
    assert.deepEqual(await dir.place(id, 'notes', 'd', 1, 'move', 'a'), { placed: false, placement: { host: 'a', epoch: 1 }, why: 'target' }, 'a draining host takes nothing new')

    const heard = once(dirEvents(dir), 'placed')
    assert.deepEqual(await dir.place(id, 'notes', 'b', 1, 'move', 'a'), { placed: true, placement: { host: 'b', epoch: 2 } })
    assert.deepEqual(await heard, [placementKey(id, 'notes'), 'b', 2], 'every placement is published, under a hash of (session, realm)')
    assert.deepEqual(await dir.read(id, 'notes'), { host: 'b', epoch: 2 }, 'a move is no failover')

    // c's lease runs out: what it held is taken over, and the failover is recorded.
    assert.equal((await dir.place(id, 'other', 'c', 0, 'claim')).placed, true)
    await sleep(350)
    const over = await dir.place(id, 'other', 'a', 1, 'claim')
    assert.deepEqual(over.placement, { host: 'a', epoch: 2 })
    const read = await dir.read(id, 'other')
    assert.equal(read?.failover?.from, 'c')
    assert.ok(read!.failover!.at > 0)
  })

  test('a placement fences the store: writes and saves under the epoch before it are refused', async (t) => {
    const { store, dir } = await open(t)
    await dir.join(member('a'), 'ia', 60_000)
    await dir.join(member('b'), 'ib', 60_000)
    const { id } = await store.create('bob', HOUR)
    await dir.place(id, 'notes', 'a', 0, 'claim')
    const onA = { fence: { realm: 'notes', epoch: 1 } }
    await store.put(id, 'k', 'from a', onA)
    await store.saveWorkerState(id, 'notes', '{"n":1}', { epoch: 1 })
    assert.ok((await dir.read(id, 'notes'))!.savedAt! > 0, 'the placement says when its state was saved')
    await dir.place(id, 'notes', 'b', 1, 'move', 'a')
    await assert.rejects(store.put(id, 'k', 'late from a', onA), code('STORE_ERR_STALE_EPOCH'))
    await assert.rejects(store.saveWorkerState(id, 'notes', '{"n":0}', { epoch: 1 }), code('STORE_ERR_STALE_EPOCH'))
    await store.put(id, 'k', 'from b', { fence: { realm: 'notes', epoch: 2 } })
    assert.equal(await store.get(id, 'k'), 'from b')
    assert.equal(await store.loadWorkerState(id, 'notes'), '{"n":1}')
  })

  test('the directory goes with its session and moves with regenerate_id', async (t) => {
    const { store, dir } = await open(t)
    await dir.join(member('a'), 'ia', 60_000)
    const { id } = await store.create('carol', HOUR)
    await dir.place(id, 'notes', 'a', 0, 'claim')
    const fresh = await store.regenerateId(id)
    assert.deepEqual(await dir.read(fresh, 'notes'), { host: 'a', epoch: 1 })
    assert.equal(await dir.read(id, 'notes'), null)
    await store.destroy(fresh)
    assert.equal(await dir.read(fresh, 'notes'), null)
    await assert.rejects(dir.place(fresh, 'notes', 'a', 0, 'claim'), code('STORE_ERR_NO_SESSION'))
  })
})

/** The directory's placement events as an emitter, for once(). */
function dirEvents (dir: ClusterDirectory): EventEmitter {
  const e = new EventEmitter()
  const off = dir.onPlacement((key, host, epoch) => {
    off()
    e.emit('placed', key, host, epoch)
  })
  return e
}
