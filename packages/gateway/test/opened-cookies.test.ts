import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import fastifySecureSession from '@fastify/secure-session'
import { rememberOpenedCookies } from '../src/opened-cookies.ts'

async function app (t: import('node:test').TestContext, keys: Buffer[], expiry = 60) {
  const a = Fastify()
  await a.register(fastifySecureSession, { key: keys, cookieName: 'c', expiry, cookie: { path: '/' } })
  const opens = { n: 0 }
  const decode = (a as unknown as { decodeSecureSession: (...args: unknown[]) => unknown }).decodeSecureSession
  ;(a as unknown as { decodeSecureSession: (...args: unknown[]) => unknown }).decodeSecureSession = (...args: unknown[]) => { opens.n++; return decode(...args) }
  rememberOpenedCookies(a, expiry)
  a.get('/set', async (request) => { request.session.set('sid', 'abc'); return 'set' })
  a.get('/get', async (request) => ({ sid: request.session.get('sid') ?? null }))
  a.get('/touch', async (request) => { request.session.set('seen', 1); return 'touched' })
  t.after(() => a.close())
  return { a, opens }
}

const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]

test('the same sealed cookie is opened once; each request still gets a session of its own', async (t) => {
  const { a, opens } = await app(t, [randomBytes(32)])
  const cookie = cookieOf(await a.inject('/set'))
  opens.n = 0
  for (let i = 0; i < 3; i++) assert.deepEqual((await a.inject({ url: '/get', headers: { cookie } })).json(), { sid: 'abc' })
  assert.equal(opens.n, 1, 'opened the slow way once')
  // A request that changes its session does not change what the next one opens to.
  const touched = await a.inject({ url: '/touch', headers: { cookie } })
  assert.ok(touched.headers['set-cookie'])
  assert.deepEqual((await a.inject({ url: '/get', headers: { cookie } })).json(), { sid: 'abc' })
})

test('a remembered cookie past its expiry opens as no session', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const { a } = await app(t, [randomBytes(32)], 10)
  const cookie = cookieOf(await a.inject('/set'))
  assert.deepEqual((await a.inject({ url: '/get', headers: { cookie } })).json(), { sid: 'abc' })
  t.mock.timers.tick(11_000)
  assert.deepEqual((await a.inject({ url: '/get', headers: { cookie } })).json(), { sid: null })
})

test('a cookie sealed under an older key is not remembered: it opens the slow way and is re-sealed each time', async (t) => {
  const [oldKey, newKey] = [randomBytes(32), randomBytes(32)]
  const before = await app(t, [oldKey])
  const cookie = cookieOf(await before.a.inject('/set'))
  const { a, opens } = await app(t, [newKey, oldKey])
  opens.n = 0
  for (let i = 0; i < 2; i++) {
    const res = await a.inject({ url: '/get', headers: { cookie } })
    assert.deepEqual(res.json(), { sid: 'abc' })
    assert.ok(res.headers['set-cookie'], 're-sealed under the new key')
  }
  assert.equal(opens.n, 2)
})
