import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisStore } from '../src/redis-store.ts'
import type { SessionStore } from '../src/store.ts'
import { redisSkipReason, startRedis } from './redis-server.ts'
import type { RedisServer } from './redis-server.ts'

const HOUR = 3_600_000
const code = (c: string, status?: number) => (err: unknown) => {
  const e = err as { code?: string, statusCode?: number }
  return e.code === c && (status === undefined || e.statusCode === status)
}

describe('RedisStore', { skip: redisSkipReason() }, () => {
  let server: RedisServer
  before(async () => { server = await startRedis() })
  after(() => server?.stop())

  test('connecting to a Redis that is not there fails with STORE_ERR_CONNECT, without the password', async () => {
    const dead = await startRedis()
    await dead.stop()
    const err = await RedisStore.connect({ url: `redis://:hunter2@127.0.0.1:${dead.port}`, connectTimeoutMs: 1000 }).catch(e => e)
    assert.equal(err.code, 'STORE_ERR_CONNECT')
    assert.equal(err.statusCode, 503)
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${dead.port}`))
    assert.doesNotMatch(err.message, /hunter2/)
  })

  test('two hosts on one Redis take turns through the lock and lose no update', async (t) => {
    const a = await RedisStore.connect({ url: server.url, prefix: 'hosts:' })
    const b = await RedisStore.connect({ url: server.url, prefix: 'hosts:' })
    t.after(() => Promise.all([a.close(), b.close()]))
    const { id } = await a.create('alice', HOUR)
    await a.put(id, 'n', '0')
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const w = await (i % 2 ? a : b).open(id, 'rw', { waitMs: 30_000 })
      await w.put('n', String(Number(await w.get('n')) + 1))
      await w.commit()
    }))
    assert.equal(await b.get(id, 'n'), '50')
  })

  test('a session ended on one host reaches onSessionEnd on every other host: destroy, regenerate_id and gc', async (t) => {
    // Two stores on one Redis, as two hosts are; a third deployment under another prefix.
    const a = await RedisStore.connect({ url: server.url, prefix: 'ends:' })
    const b = await RedisStore.connect({ url: server.url, prefix: 'ends:' })
    const other = await RedisStore.connect({ url: server.url, prefix: 'elsewhere:' })
    t.after(() => Promise.all([a.close(), b.close(), other.close()]))
    const heardByA: string[] = []
    const heardByOther: string[] = []
    a.onSessionEnd(id => heardByA.push(id))
    other.onSessionEnd(id => heardByOther.push(id))

    const destroyed = await a.create('alice', HOUR)
    let heard = endOf(b, destroyed.id)
    await a.destroy(destroyed.id)
    await heard

    const moved = await a.create('alice', HOUR)
    heard = endOf(b, moved.id)
    await a.regenerateId(moved.id)
    await heard

    const expiring = await a.create('alice', 1000)
    heard = endOf(b, expiring.id)
    assert.equal(await a.gc(expiring.expiresAt), 1)
    await heard

    // An end from b reaches a after everything a published itself: a heard its own ends once, locally.
    const fromB = await b.create('bob', HOUR)
    heard = endOf(a, fromB.id)
    await b.destroy(fromB.id)
    await heard
    assert.deepEqual(heardByA, [destroyed.id, moved.id, expiring.id, fromB.id])
    assert.deepEqual(heardByOther, [])
  })

  test('the session-end subscription recovers after a Redis restart', async (t) => {
    const own = await startRedis()
    t.after(() => own.stop())
    const a = await RedisStore.connect({ url: own.url })
    const b = await RedisStore.connect({ url: own.url })
    t.after(() => Promise.all([a.close(), b.close()]))
    await own.stop()
    const again = await startRedis(own.port)
    t.after(() => again.stop())

    // Both clients reconnect (and b resubscribes) by themselves; no event says when, so try until b hears.
    const deadline = Date.now() + 10_000
    for (;;) {
      const s = await retryUntil(() => a.create('carol', HOUR))
      const heard = endOf(b, s.id)
      await retryUntil(() => a.destroy(s.id))
      const ok = await Promise.race([heard.then(() => true), sleep(250).then(() => false)])
      if (ok) break
      assert.ok(Date.now() < deadline, 'b never heard an end after the restart')
    }
  })

  test('a flush of many touches is one script call, and no touch writes before it', async (t) => {
    const store = await RedisStore.connect({ url: server.url, prefix: 'touches:', touchFlushMs: 60_000 })
    t.after(() => store.close())
    const probe = new Redis(server.url)
    t.after(() => probe.quit())
    const ids: string[] = []
    for (let i = 0; i < 100; i++) ids.push((await store.create('alice', HOUR)).id)
    const scriptCalls = async () => {
      const info = await probe.info('commandstats')
      return [...info.matchAll(/^cmdstat_eval(?:sha)?:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
    }
    const seen = () => Promise.all(ids.map(id => probe.hget(`touches:{${id}}:meta`, 'seen')))
    const before = await seen()
    await sleep(5)
    const calls = await scriptCalls()
    for (const id of ids) store.touch(id)
    assert.equal(await scriptCalls(), calls, 'no call per touch')
    await store.flushTouches()
    assert.equal(await scriptCalls(), calls + 1)
    const after = await seen()
    assert.ok(after.every((v, i) => Number(v) > Number(before[i])), 'every touch written')
  })

  test('a lock whose commit failed while Redis was down is released once it is back: the next writer does not wait out the lease', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sessiond-aof-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const own = await startRedis(undefined, { aofDir: dir })
    t.after(() => own.stop())
    // A lease and a wait far longer than the test: only the release can free the session.
    const store = await RedisStore.connect({ url: own.url, leaseMs: 60_000, lockWaitMs: 60_000 })
    t.after(() => store.close())
    const { id } = await store.create('alice', HOUR)
    const w = await store.open(id, 'rw')
    await w.put('k', 'staged')
    await own.kill()
    await assert.rejects(w.commit(), code('STORE_ERR_UNAVAILABLE'))
    // The lock was written to the append-only file: the restarted Redis still has it.
    const again = await startRedis(own.port, { aofDir: dir })
    t.after(() => again.stop())
    const back = Date.now()
    const next = await retryUntil(() => store.open(id, 'rw', { waitMs: 5000 }))
    assert.ok(Date.now() - back < 2000, `the next writer got the lock ${Date.now() - back} ms after the restart`)
    await next.close()
  })

  test('a lock wait fails at once with STORE_ERR_UNAVAILABLE when Redis goes down, not at its deadline', async (t) => {
    const own = await startRedis()
    t.after(() => own.stop())
    const store = await RedisStore.connect({ url: own.url, leaseMs: 60_000 })
    t.after(() => store.close())
    const { id } = await store.create('alice', HOUR)
    const holder = await store.open(id, 'rw')
    const waiting = store.open(id, 'rw', { waitMs: 30_000 })
    const single = store.put(id, 'k', 'v')
    await sleep(50)
    const down = Date.now()
    await own.kill()
    await assert.rejects(waiting, code('STORE_ERR_UNAVAILABLE', 503))
    await assert.rejects(single, code('STORE_ERR_UNAVAILABLE', 503))
    assert.ok(Date.now() - down < 1000, `the waits failed ${Date.now() - down} ms after Redis went down`)
    await holder.discard().catch(() => {})
  })

  test('the settings check names, in one warning line, what can lose sessions; a Redis with an append-only file gets none', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sessiond-aof-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const safe = await startRedis(undefined, { aofDir: dir })
    const evicting = await startRedis(undefined, { args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] })
    t.after(() => Promise.all([safe.stop(), evicting.stop()]))
    const warned = async (url: string) => {
      const lines: string[] = []
      const store = await RedisStore.connect({ url, warn: line => lines.push(line) })
      await store.close()
      return lines
    }
    assert.deepEqual(await warned(safe.url), [])
    const [line, ...more] = await warned(evicting.url)
    assert.deepEqual(more, [])
    assert.match(line, new RegExp(`^the Redis at redis://127\\.0\\.0\\.1:${evicting.port} can lose sessions: `))
    assert.match(line, /appendonly is no/)
    assert.match(line, /maxmemory-policy is allkeys-lru/)
  })

  test('a Redis that lost its data is noticed on every host right after the reconnect; one restarted with its data is no loss', async (t) => {
    const own = await startRedis()
    t.after(() => own.stop())
    const a = await RedisStore.connect({ url: own.url })
    const b = await RedisStore.connect({ url: own.url })
    t.after(() => Promise.all([a.close(), b.close()]))
    const losses = { a: 0, b: 0 }
    a.onDataLost(() => losses.a++)
    b.onDataLost(() => losses.b++)
    await own.stop()
    const again = await startRedis(own.port)
    t.after(() => again.stop())
    const back = Date.now()
    while ((losses.a === 0 || losses.b === 0) && Date.now() - back < 5000) await sleep(20)
    assert.deepEqual(losses, { a: 1, b: 1 })
    assert.ok(Date.now() - back < 2000, `noticed ${Date.now() - back} ms after the restart`)

    const dir = await mkdtemp(join(tmpdir(), 'sessiond-aof-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const kept = await startRedis(undefined, { aofDir: dir })
    t.after(() => kept.stop())
    const c = await RedisStore.connect({ url: kept.url })
    t.after(() => c.close())
    let lost = 0
    c.onDataLost(() => lost++)
    await kept.kill()
    const restarted = await startRedis(kept.port, { aofDir: dir })
    t.after(() => restarted.stop())
    await retryUntil(() => c.create('dave', HOUR))
    await c.checkDataMarker()
    assert.equal(lost, 0)
  })

  test('calls fail with STORE_ERR_UNAVAILABLE while Redis is down and work again once it is back', async (t) => {
    const own = await startRedis()
    t.after(() => own.stop())
    const store = await RedisStore.connect({ url: own.url })
    t.after(() => store.close())
    const { id } = await store.create('bob', HOUR)
    await own.stop()
    await assert.rejects(store.get(id, 'k'), code('STORE_ERR_UNAVAILABLE'))
    await assert.rejects(store.put(id, 'k', 'v'), code('STORE_ERR_UNAVAILABLE'))

    // The same port again: the client reconnects by itself.
    const again = await startRedis(own.port)
    t.after(() => again.stop())
    const back = await retryUntil(() => store.create('bob', HOUR))
    await store.put(back.id, 'k', 'v')
    assert.equal(await store.get(back.id, 'k'), 'v')
  })
})

/** Resolves when `store` reports that `id` ended. */
function endOf (store: SessionStore, id: string): Promise<void> {
  return new Promise(resolve => {
    const off = store.onSessionEnd(ended => {
      if (ended !== id) return
      off()
      resolve()
    })
  })
}

/** Retries on STORE_ERR_UNAVAILABLE until the client has reconnected: the reconnect has no event a caller can await. */
async function retryUntil<T> (fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if ((err as { code?: string }).code !== 'STORE_ERR_UNAVAILABLE' || Date.now() > deadline) throw err
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}
