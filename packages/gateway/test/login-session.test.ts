import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { MemoryStore } from '@sessiond/session-store'
import { CSRF_FIELD } from '../src/csrf-guard.ts'
import { startLoginSession } from '../src/login-session.ts'
import { readSessionId, registerSessionCookie, sessionOf } from '../src/session-cookie.ts'

test('a login gets a new session id and form token; the session the cookie held ends', async (t) => {
  const store = new MemoryStore()
  const app = Fastify()
  t.after(async () => {
    await app.close()
    await store.close()
  })
  await registerSessionCookie(app, [randomBytes(32)], 60_000)
  app.post('/login', async (request) => ({ sid: await startLoginSession(request, 'alice', { store, maxAge: 60_000 }) }))
  app.get('/state', async (request) => ({ sid: readSessionId(request), csrf: sessionOf(request).get(CSRF_FIELD) }))
  const login = async (cookie?: string) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: cookie ? { cookie } : {} })
    const next = String(res.headers['set-cookie']).split(';', 1)[0]
    const state = (await app.inject({ url: '/state', headers: { cookie: next } })).json() as { sid: string, csrf: string }
    assert.equal(state.sid, (res.json() as { sid: string }).sid)
    return { cookie: next, ...state }
  }
  const first = await login()
  assert.equal((await store.lookup(first.sid))?.user, 'alice')
  const second = await login(first.cookie)
  assert.notEqual(second.sid, first.sid)
  assert.notEqual(second.csrf, first.csrf)
  assert.equal(await store.lookup(first.sid), null)
  assert.equal((await store.lookup(second.sid))?.user, 'alice')
})
