import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { RedisStore } from '../src/redis-store.ts'
import { redisSkipReason, startRedis } from './redis-server.ts'
import type { RedisServer } from './redis-server.ts'

const HOUR = 3_600_000
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c

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
