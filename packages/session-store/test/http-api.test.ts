import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyRequest } from 'fastify'
import { storeHttpApi } from '../src/http-api.ts'
import { MemoryStore } from '../src/memory-store.ts'
import type { LockTimings } from '../src/locking-backend.ts'
import { storeToken } from '../src/store-token.ts'

const HOUR = 3_600_000
const PREFIX = '/_sessiond/store'

async function serve (t: TestContext, timings: Partial<LockTimings> = {}, sessionFromRequest?: (r: FastifyRequest) => string | undefined) {
  const store = new MemoryStore(timings)
  const tokenKey = randomBytes(32)
  const app = Fastify()
  await app.register(storeHttpApi, { prefix: PREFIX, store, tokenKey, sessionFromRequest })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await app.close()
    await store.close()
  })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}${PREFIX}`
  return { store, tokenKey, base }
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
