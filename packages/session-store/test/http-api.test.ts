import { describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { errorReply } from '@sessiond/gateway'
import type { FastifyRequest } from 'fastify'
import { MAX_LOCK_WAIT_MS, storeHttpApi } from '../src/http-api.ts'
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../src/limits.ts'
import { MemoryStore } from '../src/memory-store.ts'
import type { LockTimings } from '../src/locking-backend.ts'
import { RedisStore } from '../src/redis-store.ts'
import { storeToken } from '../src/store-token.ts'
import type { SessionStore } from '../src/store.ts'
import { redisSkipReason, startRedis } from './redis-server.ts'

const HOUR = 3_600_000
const PREFIX = '/_sessiond/store'

async function serve (t: TestContext, timings: Partial<LockTimings> = {}, sessionFromRequest?: (r: FastifyRequest) => string | undefined) {
  return serveStore(t, new MemoryStore(timings), sessionFromRequest)
}

async function serveStore<S extends SessionStore> (t: TestContext, store: S, sessionFromRequest?: (r: FastifyRequest) => string | undefined) {
  const tokenKey = randomBytes(32)
  const app = Fastify()
  // The API as the gateway serves it: its errors take the gateway's one reply shape.
  app.setErrorHandler(errorReply)
  await app.register(storeHttpApi, { prefix: PREFIX, store, tokenKey, sessionFromRequest })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await app.close()
    await store.close()
  })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}${PREFIX}`
  return { store, tokenKey, base, app }
}

const bearer = (tokenKey: Buffer, id: string) => ({ authorization: `Bearer ${storeToken(tokenKey, id)}` })

/** POST /lock; answers the response and its lock id. */
async function lock (base: string, auth: Record<string, string>, wait?: number, signal?: AbortSignal) {
  const res = await fetch(`${base}/lock${wait === undefined ? '' : `?wait=${wait}`}`, { method: 'POST', headers: auth, signal })
  const lockId = res.headers.get('x-sessiond-lock-id') ?? ''
  return { res, lockId, under: { ...auth, 'x-sessiond-lock-id': lockId } }
}

async function errorOf (res: Response): Promise<string> {
  return (await res.json() as { error: string }).error
}

test('a token scoped to one session reads and writes that session\'s keys', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('alice', HOUR)
  const auth = { authorization: `Bearer ${storeToken(tokenKey, id)}` }

  let res = await fetch(`${base}/keys/greeting`, { headers: auth })
  assert.equal(res.status, 404)
  assert.equal((await res.json()).error, 'STORE_ERR_KEY_MISSING')

  res = await fetch(`${base}/keys/greeting`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: 'héllo {"not": parsed}' })
  assert.equal(res.status, 204)
  res = await fetch(`${base}/keys/greeting`, { headers: auth })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
  assert.equal(await res.text(), 'héllo {"not": parsed}')
  assert.equal(await store.get(id, 'greeting'), 'héllo {"not": parsed}')

  await store.put(id, 'other', 'x')
  res = await fetch(base, { headers: auth })
  assert.deepEqual(await res.json(), { greeting: 'héllo {"not": parsed}', other: 'x' })

  res = await fetch(`${base}/keys/other`, { method: 'DELETE', headers: auth })
  assert.equal(res.status, 204)
  res = await fetch(base, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ a: '1', b: '2' }) })
  assert.equal(res.status, 204)
  assert.deepEqual(await store.getAll(id), { a: '1', b: '2' })
})

test('the token works as the password of Basic auth and as ?token=, the way SESSIOND_STORE_URL carries it', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('alice', HOUR)
  await store.put(id, 'k', 'v')
  const token = storeToken(tokenKey, id)
  const basic = Buffer.from(`sessiond:${token}`).toString('base64')
  assert.equal(await (await fetch(`${base}/keys/k`, { headers: { authorization: `Basic ${basic}` } })).text(), 'v')
  assert.equal(await (await fetch(`${base}/keys/k?token=${encodeURIComponent(token)}`)).text(), 'v')
})

test('one session\'s token never reaches another session, and a forged or missing token is a 401', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const a = await store.create('alice', HOUR)
  const b = await store.create('bob', HOUR)
  await store.put(b.id, 'secret', 'bob-only')
  const tokenA = storeToken(tokenKey, a.id)
  let res = await fetch(`${base}/keys/secret`, { headers: { authorization: `Bearer ${tokenA}` } })
  assert.equal(res.status, 404, 'a\'s token reads a\'s data only')
  for (const bad of [`${b.id}.${tokenA.split('.')[1]}`, storeToken(randomBytes(32), b.id), 'garbage', '']) {
    res = await fetch(`${base}/keys/secret`, { headers: { authorization: `Bearer ${bad}` } })
    assert.equal(res.status, 401, bad)
    assert.equal((await res.json()).error, 'STORE_ERR_UNAUTHORIZED')
  }
  res = await fetch(`${base}/keys/secret`)
  assert.equal(res.status, 401)
  assert.equal(await store.get(b.id, 'secret'), 'bob-only')
})

test('a session found by the host (the gateway\'s cookie) is used when no token is given', async (t) => {
  let current: string | undefined
  const { store, base } = await serve(t, {}, () => current)
  const { id } = await store.create('carol', HOUR)
  current = id
  assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', body: 'v' })).status, 204)
  assert.equal(await store.get(id, 'k'), 'v')
  current = undefined
  assert.equal((await fetch(`${base}/keys/k`)).status, 401)
})

test('lock mode: a write with r is refused, a rw write waits for the holder, an r read does not', async (t) => {
  const { store, tokenKey, base } = await serve(t, { lockWaitMs: 5000 })
  const { id } = await store.create('dave', HOUR)
  const auth = { authorization: `Bearer ${storeToken(tokenKey, id)}` }
  let res = await fetch(`${base}/keys/k`, { method: 'PUT', headers: { ...auth, 'x-sessiond-lock': 'r' }, body: 'v' })
  assert.equal(res.status, 409)
  assert.equal((await res.json()).error, 'STORE_ERR_READ_ONLY')
  res = await fetch(`${base}/keys/k?lock=x`, { headers: auth })
  assert.equal(res.status, 400)

  const holder = await store.open(id, 'rw')
  await holder.put('k', 'from-holder')
  assert.equal((await fetch(`${base}/keys/k?lock=r`, { headers: auth })).status, 404, 'r reads committed data at once')
  const write = fetch(`${base}/keys/k`, { method: 'PUT', headers: auth, body: 'from-http' })
  const read = fetch(`${base}/keys/k`, { headers: { ...auth, 'x-sessiond-lock': 'rw' } })
  await holder.commit()
  assert.equal((await write).status, 204)
  assert.match(await (await read).text(), /^from-(holder|http)$/)
  assert.equal(await store.get(id, 'k'), 'from-http')
})

test('a destroyed session answers 404 STORE_ERR_NO_SESSION, and a lock timeout is a 423', async (t) => {
  const { store, tokenKey, base } = await serve(t, { lockWaitMs: 30 })
  const { id } = await store.create('erin', HOUR)
  const auth = { authorization: `Bearer ${storeToken(tokenKey, id)}` }
  const holder = await store.open(id, 'rw')
  let res = await fetch(`${base}/keys/k`, { method: 'PUT', headers: auth, body: 'v' })
  assert.equal(res.status, 423)
  assert.equal((await res.json()).error, 'STORE_ERR_LOCK_TIMEOUT')
  await holder.close()
  await store.destroy(id)
  res = await fetch(`${base}/keys/k`, { headers: auth })
  assert.equal(res.status, 404)
  assert.equal((await res.json()).error, 'STORE_ERR_NO_SESSION')
})

test('POST /lock holds the session rw across requests: its reads see its staged writes, everyone else sees them at POST /commit', async (t) => {
  const { store, tokenKey, base } = await serve(t, { lockWaitMs: 30 })
  const { id } = await store.create('frank', HOUR)
  const auth = bearer(tokenKey, id)
  await store.put(id, 'kept', 'old')

  const { res, lockId, under } = await lock(base, auth)
  assert.equal(res.status, 201)
  const body = await res.json() as { lockId: string, leaseMs: number, expiresAt: number }
  assert.equal(body.lockId, lockId)
  assert.match(lockId, /^[\w-]{22}$/)
  assert.ok(body.leaseMs > 0 && body.leaseMs <= 30_000)
  assert.ok(Math.abs(body.expiresAt - (Date.now() + body.leaseMs)) < 1000)

  assert.equal((await fetch(`${base}/keys/a`, { method: 'PUT', headers: under, body: '1' })).status, 204)
  assert.equal((await fetch(`${base}/keys/kept`, { method: 'DELETE', headers: under })).status, 204)
  assert.equal(await (await fetch(`${base}/keys/a`, { headers: under })).text(), '1', 'the holder reads its own write')
  assert.equal((await fetch(`${base}/keys/kept`, { headers: under })).status, 404, 'and its own remove')
  assert.deepEqual(await (await fetch(base, { headers: under })).json(), { a: '1' })
  assert.equal((await fetch(`${base}/keys/a`, { headers: auth })).status, 404, 'others read committed data, at once')
  assert.equal(await store.get(id, 'kept'), 'old')
  const blocked = await fetch(`${base}/keys/b`, { method: 'PUT', headers: auth, body: 'x' })
  assert.equal(blocked.status, 423, 'a single write waits for the holder')
  assert.equal(blocked.headers.get('retry-after'), '1')

  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: under })).status, 204)
  assert.deepEqual(await store.getAll(id), { a: '1' })
  const again = await fetch(`${base}/keys/a`, { method: 'PUT', headers: under, body: '2' })
  assert.equal(again.status, 409, 'a committed lock is over')
  assert.equal(await errorOf(again), 'STORE_ERR_LOCK_LOST')
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: under })).status, 409)
})

test('a second POST /lock waits up to ?wait and then answers 423 with Retry-After; it gets the lock as soon as the holder commits', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('grace', HOUR)
  const auth = bearer(tokenKey, id)
  const first = await lock(base, auth)

  const started = Date.now()
  const late = await lock(base, auth, 50)
  assert.ok(Date.now() - started >= 50)
  assert.equal(late.res.status, 423)
  assert.equal(late.res.headers.get('retry-after'), '1')
  assert.equal(await errorOf(late.res), 'STORE_ERR_LOCK_TIMEOUT')

  const waiting = lock(base, auth, 5000)
  await fetch(`${base}/keys/n`, { method: 'PUT', headers: first.under, body: 'first' })
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: first.under })).status, 204)
  const second = await waiting
  assert.equal(second.res.status, 201)
  assert.equal(await (await fetch(`${base}/keys/n`, { headers: second.under })).text(), 'first')
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: second.under })).status, 204)
})

test('DELETE /lock releases the lock and drops the staged writes', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('heidi', HOUR)
  const auth = bearer(tokenKey, id)
  const { under } = await lock(base, auth)
  await fetch(`${base}/keys/k`, { method: 'PUT', headers: under, body: 'never' })
  assert.equal((await fetch(`${base}/lock`, { method: 'DELETE', headers: under })).status, 204)
  assert.equal(await store.exists(id, 'k'), false)
  assert.equal((await lock(base, auth, 0)).res.status, 201, 'the next writer gets the lock at once')
  assert.equal((await fetch(`${base}/lock`, { method: 'DELETE', headers: under })).status, 409, 'a released lock is over')
})

test('a lock whose lease ended answers 409 STORE_ERR_LOCK_LOST, its staged writes never land, and the next writer does not wait', async (t) => {
  const { store, tokenKey, base } = await serve(t, { leaseMs: 100 })
  const { id } = await store.create('ivan', HOUR)
  const auth = bearer(tokenKey, id)
  const abandoned = await lock(base, auth)
  await fetch(`${base}/keys/k`, { method: 'PUT', headers: abandoned.under, body: 'staged' })
  await sleep(150)

  const next = await lock(base, auth, 0)
  assert.equal(next.res.status, 201)
  for (const [method, path] of [['PUT', '/keys/k'], ['GET', '/keys/k'], ['GET', ''], ['POST', '/commit'], ['DELETE', '/lock']]) {
    const res = await fetch(`${base}${path}`, { method, headers: abandoned.under, body: method === 'PUT' ? 'late' : undefined })
    assert.equal(res.status, 409, `${method} ${path}`)
    assert.equal(await errorOf(res), 'STORE_ERR_LOCK_LOST')
  }
  assert.equal(await store.exists(id, 'k'), false)
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: next.under })).status, 204)
})

test('a lock id is useless with another session\'s token, and a made-up one names no lock', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const a = await store.create('judy', HOUR)
  const b = await store.create('mallory', HOUR)
  const held = await lock(base, bearer(tokenKey, a.id))
  const stolen = { ...bearer(tokenKey, b.id), 'x-sessiond-lock-id': held.lockId }
  for (const [method, path] of [['PUT', '/keys/k'], ['GET', '/keys/k'], ['PUT', ''], ['POST', '/commit'], ['DELETE', '/lock']]) {
    const res = await fetch(`${base}${path}`, { method, headers: stolen, body: method === 'PUT' ? '{}' : undefined })
    assert.equal(res.status, 409, `${method} ${path}`)
    assert.equal(await errorOf(res), 'STORE_ERR_LOCK_LOST')
  }
  const madeUp = { ...bearer(tokenKey, a.id), 'x-sessiond-lock-id': randomBytes(16).toString('base64url') }
  assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', headers: madeUp, body: 'x' })).status, 409)
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: bearer(tokenKey, a.id) })).status, 409, 'no id at all')
  assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', headers: held.under, body: 'mine' })).status, 204, 'the owner\'s lock is untouched')
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: held.under })).status, 204)
  assert.equal(await store.get(a.id, 'k'), 'mine')
  assert.equal(await store.exists(b.id, 'k'), false)
  assert.equal((await fetch(`${base}/lock`, { method: 'POST' })).status, 401, 'no session, no lock')
})

test('?wait must be whole milliseconds up to MAX_LOCK_WAIT_MS', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('ken', HOUR)
  for (const bad of ['-1', '1.5', 'soon', '', String(MAX_LOCK_WAIT_MS + 1)]) {
    const res = await fetch(`${base}/lock?wait=${bad}`, { method: 'POST', headers: bearer(tokenKey, id) })
    assert.equal(res.status, 400, bad)
    assert.equal(await errorOf(res), 'STORE_ERR_WAIT_INVALID')
  }
})

test('a lock granted after its client hung up is handed back at once, not at the lease end', async (t) => {
  const { store, tokenKey, base, app } = await serve(t)
  const { id } = await store.create('leo', HOUR)
  const holder = await store.open(id, 'rw')
  const abort = new AbortController()
  const gone = lock(base, bearer(tokenKey, id), 10_000, abort.signal).catch(() => null)
  while (store.waiters.size === 0) await sleep(5)
  abort.abort()
  await gone
  // The server has seen the hang-up once the connection is closed on its side.
  while (await new Promise<number>((resolve, reject) => app.server.getConnections((err, n) => err ? reject(err) : resolve(n))) > 0) await sleep(5)
  await holder.commit()
  const next = await lock(base, bearer(tokenKey, id), 2000)
  assert.equal(next.res.status, 201)
})

test('keys up to MAX_KEY_BYTES and values up to MAX_VALUE_BYTES pass, and anything larger gets a coded 400 or 413, locked or not', async (t) => {
  const { store, tokenKey, base } = await serve(t)
  const { id } = await store.create('mia', HOUR)
  const auth = bearer(tokenKey, id)
  const longest = 'k'.repeat(MAX_KEY_BYTES)
  let under: Record<string, string> = {}
  for (const locked of [false, true]) {
    if (locked) under = (await lock(base, auth)).under
    const headers = locked ? under : auth
    const path = `${base}/keys/${encodeURIComponent(longest)}`
    assert.equal((await fetch(path, { method: 'PUT', headers, body: 'v' })).status, 204, 'a key past the router\'s 100-character parameter cap')
    assert.equal(await (await fetch(path, { headers })).text(), 'v')
    for (const bad of ['k'.repeat(MAX_KEY_BYTES + 1), 'é'.repeat(MAX_KEY_BYTES / 2 + 1), 'a\0b', '']) {
      const res = await fetch(`${base}/keys/${encodeURIComponent(bad)}`, { method: 'PUT', headers, body: 'v' })
      assert.equal(res.status, 400, bad.slice(0, 10))
      assert.equal(await errorOf(res), 'STORE_ERR_KEY_INVALID')
      assert.equal(await errorOf(await fetch(`${base}/keys/${encodeURIComponent(bad)}`, { headers })), 'STORE_ERR_KEY_INVALID')
    }
    const big = await fetch(`${base}/keys/big`, { method: 'PUT', headers, body: '€'.repeat(Math.floor(MAX_VALUE_BYTES / 3) + 1) })
    assert.equal(big.status, 413)
    assert.equal(await errorOf(big), 'STORE_ERR_VALUE_TOO_LARGE')
    const huge = await fetch(`${base}/keys/huge`, { method: 'PUT', headers, body: 'x'.repeat(MAX_VALUE_BYTES * 5) })
    assert.equal(huge.status, 413)
    assert.equal(await errorOf(huge), 'STORE_ERR_VALUE_TOO_LARGE')
    const tooMuch = await fetch(base, { method: 'PUT', headers, body: JSON.stringify({ a: 'x'.repeat(MAX_VALUE_BYTES * 5) }) })
    assert.equal(tooMuch.status, 413)
    assert.equal(await errorOf(tooMuch), 'FST_ERR_CTP_BODY_TOO_LARGE', 'put_all: the whole body is over the limit')
    const all = await fetch(base, { method: 'PUT', headers, body: JSON.stringify({ ok: 'v', [longest + 'k']: 'v' }) })
    assert.equal(all.status, 400)
    assert.equal(await errorOf(all), 'STORE_ERR_KEY_INVALID')
  }
  assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: under })).status, 204)
  assert.deepEqual(await store.keys(id), [longest])
})

describe('over a real Redis', { skip: redisSkipReason() }, () => {
  test('Redis going down answers 503 STORE_ERR_UNAVAILABLE at once, and the API serves again when it is back, with no restart', async (t) => {
    const redis = await startRedis()
    t.after(() => redis.stop())
    const store = await RedisStore.connect({ url: redis.url })
    const { tokenKey, base } = await serveStore(t, store)
    const before = await store.create('nina', HOUR)
    const auth = bearer(tokenKey, before.id)
    assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', headers: auth, body: 'v' })).status, 204)

    await redis.stop()
    for (const [method, path] of [['GET', '/keys/k'], ['PUT', '/keys/k'], ['GET', ''], ['POST', '/lock']]) {
      const started = Date.now()
      const res = await fetch(`${base}${path}`, { method, headers: auth, body: method === 'PUT' ? 'w' : undefined })
      assert.ok(Date.now() - started < 1000, `${method} ${path} answered in ${Date.now() - started} ms`)
      assert.equal(res.status, 503, `${method} ${path}`)
      assert.equal(res.headers.get('retry-after'), '1')
      assert.equal(await errorOf(res), 'STORE_ERR_UNAVAILABLE')
    }

    // The same port again, empty (no persistence): the client reconnects by itself.
    const again = await startRedis(redis.port)
    t.after(() => again.stop())
    let res: Response
    do {
      res = await fetch(`${base}/keys/k`, { headers: auth })
      if (res.status === 503) await sleep(50)
    } while (res.status === 503)
    assert.equal(await errorOf(res), 'STORE_ERR_NO_SESSION', 'the store answers again: that session went with the old Redis')
    const after = await store.create('nina', HOUR)
    const fresh = bearer(tokenKey, after.id)
    const { under } = await lock(base, fresh)
    assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', headers: under, body: 'back' })).status, 204)
    assert.equal((await fetch(`${base}/commit`, { method: 'POST', headers: under })).status, 204)
    assert.equal(await (await fetch(`${base}/keys/k`, { headers: fresh })).text(), 'back')
  })

  test('a lock whose read met Redis down is over: its id is lost, and once Redis is back the next POST /lock does not wait out its lease', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sessiond-aof-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const redis = await startRedis(undefined, { aofDir: dir })
    t.after(() => redis.stop())
    // Lease and wait far past the test: only handing the lock back frees the session in time.
    const store = await RedisStore.connect({ url: redis.url, leaseMs: 60_000, lockWaitMs: 60_000 })
    const { tokenKey, base } = await serveStore(t, store)
    const { id } = await store.create('nina', HOUR)
    const auth = bearer(tokenKey, id)
    const { under } = await lock(base, auth)
    assert.equal((await fetch(`${base}/keys/k`, { method: 'PUT', headers: under, body: 'staged' })).status, 204)

    await redis.kill()
    // A key it did not stage: the read goes to the store.
    const read = await fetch(`${base}/keys/other`, { headers: under })
    assert.equal(read.status, 503)
    // The client gives up here, as a worker whose handler failed does: it never commits nor deletes the lock.
    const again = await startRedis(redis.port, { aofDir: dir })
    t.after(() => again.stop())
    const back = Date.now()
    let res: Response
    do {
      res = await fetch(`${base}/lock?wait=5000`, { method: 'POST', headers: auth })
      if (res.status === 503) await sleep(50)
    } while (res.status === 503)
    assert.equal(res.status, 201)
    assert.ok(Date.now() - back < 2000, `the next lock came ${Date.now() - back} ms after the restart`)
    const stale = await fetch(`${base}/commit`, { method: 'POST', headers: under })
    assert.equal(stale.status, 409)
    assert.equal(await errorOf(stale), 'STORE_ERR_LOCK_LOST')
    assert.equal(await store.get(id, 'k'), undefined, 'nothing staged under the lost lock landed')
  })
})
