import { after, describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MemoryStore } from '../src/memory-store.ts'
import { SqliteStore } from '../src/sqlite-store.ts'
import { RedisStore } from '../src/redis-store.ts'
import { redisSkipReason, startRedis } from './redis-server.ts'
import type { RedisServer } from './redis-server.ts'
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../src/limits.ts'
import type { LockTimings } from '../src/locking-backend.ts'
import type { SessionStore } from '../src/store.ts'
import { lockingConformance } from './locking-conformance.ts'
import { workerStateConformance } from './worker-state-conformance.ts'

// One suite, run unchanged against every backend: a backend is done when it
// passes all of it.
const backends: Array<{ name: string, skip?: string | false, open: (t: TestContext, timings?: Partial<LockTimings>) => Promise<SessionStore> }> = [
  {
    name: 'MemoryStore',
    async open (t, timings) {
      const store = new MemoryStore(timings)
      t.after(() => store.close())
      return store
    }
  },
  {
    name: 'SqliteStore',
    async open (t, timings) {
      const dir = await mkdtemp(join(tmpdir(), 'sessiond-store-'))
      const store = new SqliteStore(join(dir, 'sessions.sqlite'), timings)
      t.after(async () => {
        await store.close()
        await rm(dir, { recursive: true, force: true })
      })
      return store
    }
  },
  {
    name: 'RedisStore',
    skip: redisSkipReason(),
    async open (t, timings) {
      redis ??= startRedis()
      const { url } = await redis
      // A prefix per store: gc counts only this test's sessions on the shared server.
      const store = await RedisStore.connect({ url, prefix: `t${++prefixes}:`, ...timings })
      t.after(() => store.close())
      return store
    }
  }
]

let redis: Promise<RedisServer> | undefined
let prefixes = 0
after(async () => { if (redis) await (await redis).stop() })

const HOUR = 3_600_000
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c

for (const backend of backends) {
  describe(backend.name, { skip: backend.skip }, () => {
    test('create answers a 256-bit hex id and the record', async (t) => {
      const store = await backend.open(t)
      const before = Date.now()
      const s = await store.create('alice', HOUR)
      assert.match(s.id, /^[0-9a-f]{64}$/)
      assert.equal(s.user, 'alice')
      assert.ok(s.createdAt >= before && s.createdAt <= Date.now())
      assert.equal(s.expiresAt, s.createdAt + HOUR)
      const other = await store.create('alice', HOUR)
      assert.notEqual(other.id, s.id)
    })

    test('list pages the live sessions oldest first, by user when asked, with their last use', async (t) => {
      const store = await backend.open(t)
      const a1 = await store.create('alice', HOUR)
      await sleep(2)
      const b1 = await store.create('bob', HOUR)
      await sleep(2)
      const a2 = await store.create('alice', HOUR)
      const gone = await store.create('carol', HOUR)
      await store.destroy(gone.id)
      await sleep(5)
      store.touch(a1.id)
      const all = await store.list()
      assert.equal(all.total, 3)
      assert.deepEqual(all.sessions.map(s => s.id), [a1.id, b1.id, a2.id])
      assert.ok(all.sessions[0].lastSeenAt > a1.createdAt, 'the pending touch is the last use shown')
      assert.deepEqual({ ...all.sessions[1], lastSeenAt: 0 }, { ...b1, lastSeenAt: 0 })
      const alice = await store.list({ user: 'alice', offset: 1, limit: 5 })
      assert.deepEqual([alice.total, alice.sessions.map(s => s.id)], [2, [a2.id]])
      assert.deepEqual(await store.list({ user: 'nobody' }), { total: 0, sessions: [] })
    })

    test('lockStats counts the waits for a held lock and the ones that timed out', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('bob', HOUR)
      const first = await store.open(id, 'rw')
      await assert.rejects(store.open(id, 'rw', { waitMs: 40 }), code('STORE_ERR_LOCK_TIMEOUT'))
      const waiting = store.open(id, 'rw', { waitMs: 5_000 })
      await sleep(20)
      await first.close()
      await (await waiting).close()
      const stats = store.lockStats()
      assert.equal(stats.waits, 2)
      assert.equal(stats.timeouts, 1)
      assert.ok(stats.waitSeconds >= 0.05, `the time waited: ${stats.waitSeconds}`)
    })

    test('lookup finds a live session and answers null for a missing one', async (t) => {
      const store = await backend.open(t)
      const s = await store.create('bob', HOUR)
      assert.deepEqual(await store.lookup(s.id), s)
      assert.equal(await store.lookup('0'.repeat(64)), null)
      assert.equal(await store.lookup('not-an-id'), null)
    })

    test('an expired session is gone for lookup and for data calls', async (t) => {
      const store = await backend.open(t)
      const s = await store.create('carol', 100)
      await store.put(s.id, 'k', 'v')
      await sleep(s.expiresAt - Date.now() + 20)
      assert.equal(await store.lookup(s.id), null)
      await assert.rejects(store.get(s.id, 'k'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.put(s.id, 'k', 'w'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.keys(s.id), code('STORE_ERR_NO_SESSION'))
    })

    test('destroy answers true once, then false, and the data is gone', async (t) => {
      const store = await backend.open(t)
      const s = await store.create('dave', HOUR)
      await store.put(s.id, 'k', 'v')
      assert.equal(await store.destroy(s.id), true)
      assert.equal(await store.destroy(s.id), false)
      assert.equal(await store.lookup(s.id), null)
      await assert.rejects(store.get(s.id, 'k'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.getAll(s.id), code('STORE_ERR_NO_SESSION'))
    })

    test('get, put, exists, remove, keys and getAll', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('erin', HOUR)
      assert.equal(await store.get(id, 'theme'), undefined)
      assert.equal(await store.exists(id, 'theme'), false)
      assert.deepEqual(await store.keys(id), [])
      assert.deepEqual(await store.getAll(id), {})

      await store.put(id, 'theme', 'dark')
      await store.put(id, 'cart', '[]')
      await store.put(id, 'Zeta', 'z')
      await store.put(id, 'theme', 'light')
      assert.equal(await store.get(id, 'theme'), 'light', 'put overwrites')
      assert.equal(await store.exists(id, 'theme'), true)
      assert.deepEqual(await store.keys(id), ['Zeta', 'cart', 'theme'])
      assert.deepEqual(await store.getAll(id), { theme: 'light', cart: '[]', Zeta: 'z' })

      await store.remove(id, 'theme')
      await store.remove(id, 'never-set')
      assert.equal(await store.get(id, 'theme'), undefined)
      assert.equal(await store.exists(id, 'theme'), false)
      assert.deepEqual(await store.keys(id), ['Zeta', 'cart'])
    })

    test('an empty string is a value, not an absence', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('erin', HOUR)
      await store.put(id, 'k', '')
      assert.equal(await store.get(id, 'k'), '')
      assert.equal(await store.exists(id, 'k'), true)
    })

    test('keys are sorted by code point, the same in every backend', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('erin', HOUR)
      for (const k of ['😀', '\uFF01', 'b', 'B', 'a', 'é']) await store.put(id, k, 'v')
      assert.deepEqual(await store.keys(id), ['B', 'a', 'b', 'é', '\uFF01', '😀'])
    })

    test('getAll keeps keys that look like object internals', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('erin', HOUR)
      for (const k of ['__proto__', 'constructor', 'toString']) await store.put(id, k, `v-${k}`)
      const all = await store.getAll(id)
      assert.deepEqual(Object.keys(all).sort(), ['__proto__', 'constructor', 'toString'])
      assert.equal(Object.getOwnPropertyDescriptor(all, '__proto__')?.value, 'v-__proto__')
      assert.equal(await store.get(id, '__proto__'), 'v-__proto__')
    })

    test('data calls on a missing session fail with STORE_ERR_NO_SESSION', async (t) => {
      const store = await backend.open(t)
      const missing = 'f'.repeat(64)
      await assert.rejects(store.put(missing, 'k', 'v'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.get(missing, 'k'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.exists(missing, 'k'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.remove(missing, 'k'), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.keys(missing), code('STORE_ERR_NO_SESSION'))
      await assert.rejects(store.getAll(missing), code('STORE_ERR_NO_SESSION'))
    })

    test('keys must be 1 to MAX_KEY_BYTES bytes without NUL', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('frank', HOUR)
      const longest = 'k'.repeat(MAX_KEY_BYTES)
      await store.put(id, longest, 'ok')
      assert.equal(await store.get(id, longest), 'ok')
      for (const bad of ['', 'k'.repeat(MAX_KEY_BYTES + 1), 'é'.repeat(MAX_KEY_BYTES / 2 + 1), 'a\0b']) {
        await assert.rejects(store.put(id, bad, 'v'), code('STORE_ERR_KEY_INVALID'), `put ${JSON.stringify(bad.slice(0, 10))}`)
        await assert.rejects(store.get(id, bad), code('STORE_ERR_KEY_INVALID'))
        await assert.rejects(store.exists(id, bad), code('STORE_ERR_KEY_INVALID'))
        await assert.rejects(store.remove(id, bad), code('STORE_ERR_KEY_INVALID'))
      }
      await assert.rejects(store.get(id, 42 as unknown as string), code('STORE_ERR_KEY_INVALID'))
      assert.deepEqual(await store.keys(id), [longest])
    })

    test('a value must be a string', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('grace', HOUR)
      for (const bad of [42, null, undefined, { a: 1 }, Buffer.from('x')]) {
        await assert.rejects(store.put(id, 'k', bad as unknown as string), code('STORE_ERR_VALUE_INVALID'), String(bad))
      }
      assert.equal(await store.exists(id, 'k'), false)
    })

    test('a value over MAX_VALUE_BYTES bytes is refused, counting UTF-8 bytes', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('heidi', HOUR)
      await store.put(id, 'max', 'x'.repeat(MAX_VALUE_BYTES))
      assert.equal((await store.get(id, 'max'))?.length, MAX_VALUE_BYTES)
      await assert.rejects(store.put(id, 'big', 'x'.repeat(MAX_VALUE_BYTES + 1)), code('STORE_ERR_VALUE_TOO_LARGE'))
      // Fewer characters than the limit, more bytes: three bytes each.
      await assert.rejects(store.put(id, 'wide', '€'.repeat(Math.floor(MAX_VALUE_BYTES / 3) + 1)), code('STORE_ERR_VALUE_TOO_LARGE'))
      assert.deepEqual(await store.keys(id), ['max'])
    })

    test('UTF-8 keys and values round-trip', async (t) => {
      const store = await backend.open(t)
      const { id } = await store.create('ivan', HOUR)
      const values = { emoji: '👩‍💻 🎉 ok', cjk: '会话数据 세션 セッション', mixed: 'naïve café \u{1F600}\t\n"quoted"', 'ключ': 'значение' }
      for (const [k, v] of Object.entries(values)) await store.put(id, k, v)
      for (const [k, v] of Object.entries(values)) assert.equal(await store.get(id, k), v)
      assert.deepEqual(await store.getAll(id), values)
    })

    test('gc removes only expired sessions and their data', async (t) => {
      const store = await backend.open(t)
      const short = await store.create('judy', 1000)
      const long = await store.create('judy', HOUR)
      await store.put(short.id, 'k', 'short')
      await store.put(long.id, 'k', 'long')
      assert.equal(await store.gc(), 0, 'nothing has expired yet')
      assert.equal(await store.gc(short.expiresAt), 1)
      assert.equal(await store.lookup(short.id), null)
      assert.equal(await store.destroy(short.id), false, 'gc deleted it')
      assert.equal(await store.get(long.id, 'k'), 'long')
      assert.deepEqual(await store.lookup(long.id), long)
    })

    test('one session never sees another session\'s keys', async (t) => {
      const store = await backend.open(t)
      const a = await store.create('ken', HOUR)
      const b = await store.create('ken', HOUR)
      await store.put(a.id, 'shared-name', 'a')
      await store.put(a.id, 'only-a', 'a')
      await store.put(b.id, 'shared-name', 'b')
      assert.equal(await store.get(b.id, 'shared-name'), 'b')
      assert.equal(await store.get(b.id, 'only-a'), undefined)
      assert.equal(await store.exists(b.id, 'only-a'), false)
      assert.deepEqual(await store.keys(b.id), ['shared-name'])
      assert.deepEqual(await store.getAll(b.id), { 'shared-name': 'b' })
      await store.remove(b.id, 'shared-name')
      await store.destroy(b.id)
      assert.deepEqual(await store.getAll(a.id), { 'shared-name': 'a', 'only-a': 'a' })
    })

    lockingConformance(backend.open)
    workerStateConformance(backend.open)
  })
}
