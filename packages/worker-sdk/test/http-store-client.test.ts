import { describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import { errorReply } from '@sessiond/gateway'
import { HttpLockTable, MAX_KEY_BYTES, MAX_VALUE_BYTES, MemoryStore, SqliteStore, storeHttpApi, storeToken } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import { HttpStoreClient } from '../src/http-store-client.ts'

// The client a process or exec worker's ctx.store is, against the real
// store HTTP API (the session-store package's Fastify plugin) on loopback.

const HOUR = 3_600_000
const code = (c: string, status?: number) => (err: unknown) => {
  const e = err as { code?: string, statusCode?: number }
  return e.code === c && (status === undefined || e.statusCode === status)
}

/** The store's HTTP API on loopback, and SESSIOND_STORE_URL for one new session of it. */
async function serve (t: TestContext, store: SessionStore) {
  const tokenKey = randomBytes(32)
  const app = Fastify()
  // The API as the gateway serves it: its errors take the gateway's one reply shape.
  app.setErrorHandler(errorReply)
  const locks = new HttpLockTable(store)
  await app.register(storeHttpApi, { prefix: '/_sessiond/store', store, tokenKey, locks })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await app.close()
    await store.close()
  })
  const { port } = app.server.address() as { port: number }
  const { id } = await store.create('alice', HOUR)
  const url = `http://session:${encodeURIComponent(storeToken(tokenKey, id))}@127.0.0.1:${port}/_sessiond/store`
  /** The URL a supervisor hands one worker: its token names that worker. */
  const urlFor = (holder: string) => `http://session:${encodeURIComponent(storeToken(tokenKey, id, holder))}@127.0.0.1:${port}/_sessiond/store`
  return { id, url, urlFor, locks, client: () => new HttpStoreClient(url) }
}

const backends: Array<{ name: string, open: (t: TestContext, leaseMs?: number) => Promise<SessionStore> }> = [
  { name: 'MemoryStore', open: async (_t, leaseMs) => new MemoryStore({ lockWaitMs: 30_000, leaseMs }) },
  {
    name: 'SqliteStore',
    async open (t, leaseMs) {
      const dir = await mkdtemp(join(tmpdir(), 'sessiond-sdk-store-'))
      t.after(() => rm(dir, { recursive: true, force: true }))
      return new SqliteStore(join(dir, 'sessions.sqlite'), { lockWaitMs: 30_000, leaseMs })
    }
  }
]

for (const backend of backends) {
  describe(`HttpStoreClient over ${backend.name}`, () => {
    test('release() gives up a held lock without writing: the next writer gets it at once', async (t) => {
      const store = await backend.open(t)
      const { client } = await serve(t, store)
      const stopping = client()
      const next = client()
      await stopping.put('n', '1')
      await stopping.open('rw')
      await stopping.put('n', 'staged, never committed')
      await stopping.release()
      await stopping.release()
      // The store's wait and lease are 30 s: without the release this open would still be waiting at 5 s.
      const opened = await Promise.race([next.open('rw').then(() => 'opened'), sleep(5_000, 'still waiting')])
      assert.equal(opened, 'opened')
      assert.equal(await next.get('n'), '1')
      await next.commit()
    })

    test('open(rw) … put … commit(): its reads see its writes, other workers see them at commit', async (t) => {
      const store = await backend.open(t)
      const { id, client } = await serve(t, store)
      const worker = client()
      const other = client()
      await worker.put('kept', 'old')
      await worker.open('rw')
      await worker.put('a', '1')
      await worker.remove('kept')
      assert.equal(await worker.get('a'), '1')
      assert.equal(await worker.exists('kept'), false)
      assert.deepEqual(await worker.getAll(), { a: '1' })
      assert.deepEqual(await worker.keys(), ['a'])
      assert.equal(await other.get('a'), undefined, 'not before commit')
      assert.equal(await other.get('kept'), 'old')
      await worker.commit()
      assert.deepEqual(await store.getAll(id), { a: '1' })
      await worker.put('b', '2')
      assert.equal(await other.get('b'), '2', 'after commit, single operations again')
      await worker.commit()
    })

    test('50 workers incrementing one key through open(rw)/get/put/commit lose no update', async (t) => {
      const store = await backend.open(t)
      const { id, client } = await serve(t, store)
      await store.put(id, 'n', '0')
      await Promise.all(Array.from({ length: 50 }, async () => {
        const worker = client()
        await worker.open('rw')
        const n = Number(await worker.get('n'))
        await worker.put('n', String(n + 1))
        await worker.commit()
      }))
      assert.equal(await store.get(id, 'n'), '50')
    })
  })
}

test('a second open(rw) of the same worker waits for the first one\'s commit, as in a thread worker', async (t) => {
  const store = new MemoryStore({ lockWaitMs: 5000 })
  const { id, client } = await serve(t, store)
  const worker = client()
  await worker.open('rw')
  let reopened = false
  const second = worker.open('rw').then(() => { reopened = true })
  await worker.put('k', 'first')
  // The second open is parked at the store behind this worker's own lock.
  while (store.waiters.size === 0) await sleep(5)
  assert.equal(reopened, false)
  await worker.commit()
  await second
  assert.equal(await store.get(id, 'k'), 'first')
  await worker.put('k', 'second')
  assert.equal(await store.get(id, 'k'), 'first', 'the second open holds the lock until its commit')
  await worker.commit()
  assert.equal(await store.get(id, 'k'), 'second')
})

test('open(r) refuses writes with STORE_ERR_READ_ONLY until commit, and open(r) while holding rw keeps the lock', async (t) => {
  const store = new MemoryStore({ lockWaitMs: 30 })
  const { id, client } = await serve(t, store)
  const worker = client()
  await worker.open('r')
  await assert.rejects(worker.put('k', 'v'), code('STORE_ERR_READ_ONLY', 409))
  await worker.commit()
  await worker.put('k', 'v')
  await worker.open('rw')
  await worker.put('k', 'w')
  await worker.open('r')
  assert.equal(await worker.get('k'), 'w', 'still under its rw lock')
  await assert.rejects(store.put(id, 'k', 'x'), code('STORE_ERR_LOCK_TIMEOUT'))
  await worker.commit()
  assert.equal(await store.get(id, 'k'), 'w')
  await assert.rejects(worker.open('w' as 'r'), code('STORE_ERR_MODE_INVALID', 400))
})

test('a worker whose lease ended loses the lock: commit fails with STORE_ERR_LOCK_LOST and its writes never land', async (t) => {
  const store = new MemoryStore({ leaseMs: 100 })
  const { id, client } = await serve(t, store)
  const slow = client()
  await slow.open('rw')
  await slow.put('k', 'late')
  await sleep(150)
  const next = client()
  await next.open('rw')
  await next.put('k', 'next')
  await next.commit()
  await assert.rejects(slow.put('k', 'later'), code('STORE_ERR_LOCK_LOST', 409))
  await assert.rejects(slow.commit(), code('STORE_ERR_LOCK_LOST', 409))
  assert.equal(await store.get(id, 'k'), 'next')
  await slow.put('k', 'single')
  assert.equal(await store.get(id, 'k'), 'single', 'after the failed commit, single operations again')
})

test('store errors arrive as coded errors: bad key, value too large, session gone', async (t) => {
  const store = new MemoryStore()
  const { id, client } = await serve(t, store)
  const worker = client()
  await worker.put('k'.repeat(MAX_KEY_BYTES), 'longest key')
  await assert.rejects(worker.put('k'.repeat(MAX_KEY_BYTES + 1), 'v'), code('STORE_ERR_KEY_INVALID', 400))
  await assert.rejects(worker.get(''), code('STORE_ERR_KEY_INVALID', 400))
  await assert.rejects(worker.put('v', 'x'.repeat(MAX_VALUE_BYTES + 1)), code('STORE_ERR_VALUE_TOO_LARGE', 413))
  await worker.open('rw')
  await assert.rejects(worker.put('v', 'x'.repeat(MAX_VALUE_BYTES + 1)), code('STORE_ERR_VALUE_TOO_LARGE', 413))
  await worker.commit()
  await store.destroy(id)
  await assert.rejects(worker.get('k'), code('STORE_ERR_NO_SESSION', 404), 'a missing session is not a missing key')
  await assert.rejects(worker.getAll(), code('STORE_ERR_NO_SESSION', 404))
  await assert.rejects(worker.open('rw'), code('STORE_ERR_NO_SESSION', 404))
})

test('a worker killed holding the rw lock: dropping its holder releases the lock at once, unwritten, and no other holder\'s', async (t) => {
  // The store's wait is 30 s and its lease longer: only the drop can free the session in time.
  const store = new MemoryStore({ lockWaitMs: 30_000, leaseMs: 60_000 })
  const { id, urlFor, locks, client } = await serve(t, store)
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url)), urlFor('worker-1')], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { child.kill('SIGKILL') })
  const [line] = await once(child.stdout!, 'data') as [Buffer]
  assert.equal(line.toString().trim(), 'locked')
  child.kill('SIGKILL')
  await once(child, 'exit')

  // What the supervisor does when a process or exec worker has ended.
  assert.equal(await locks.dropHolder('worker-1'), 1)
  const next = new HttpStoreClient(urlFor('worker-2'))
  const started = Date.now()
  await next.open('rw')
  assert.ok(Date.now() - started < 1000, `the next writer got the lock in ${Date.now() - started} ms`)
  assert.equal(await next.get('n'), undefined, 'the dead worker\'s staged write never landed')
  await next.put('n', 'from worker-2')

  // Another holder's lock (of the same session) is not the dead worker's.
  assert.equal(await locks.dropHolder('worker-1'), 0)
  await assert.rejects(store.open(id, 'rw', { waitMs: 50 }), code('STORE_ERR_LOCK_TIMEOUT'), 'worker-2 still holds the lock')
  await next.commit()
  assert.equal(await client().get('n'), 'from worker-2')
})
