import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storeToken } from '@sessiond/session-store'
import { loadConfig } from '../src/config.ts'
import { loadCookieKeys } from '../src/cookie-key.ts'
import { startDaemon } from '../src/daemon.ts'
import { createLogger } from '../src/logger.ts'
import { hashPassword } from '../src/password-hash.ts'
import { storeTokenKey } from '../src/store-token-key.ts'

/** A daemon with alice logged in (her cookie), and a worker's token for another session. */
async function setUp (t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-store-csrf-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  await mkdir(dataDir, { mode: 0o700 })
  const hash = await hashPassword('alice-password', { ln: 10, r: 8, p: 1 })
  await writeFile(join(dataDir, 'users.json'), JSON.stringify({ users: { alice: { password: hash } } }), { mode: 0o600 })
  const file = join(dir, 'sessiond.json')
  await writeFile(file, JSON.stringify({ log: { level: 'silent' }, store: { kind: 'memory' } }))
  const d = await startDaemon(loadConfig(file, { listen: '127.0.0.1:0', dataDir }), createLogger('silent'))
  t.after(() => d.close())
  const login = await fetch(d.url + '/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-password' }) })
  assert.equal(login.status, 200)
  const cookie = login.headers.getSetCookie()[0].split(';', 1)[0]
  const worker = await d.store.create('bob', 60_000)
  const [cookieKey] = await loadCookieKeys(dataDir)
  return { d, cookie, worker: worker.id, token: storeToken(storeTokenKey(cookieKey), worker.id) }
}

const key = (url: string) => `${url}/_sessiond/store/keys/theme`

test('cookie-authorised writes to the store that a browser says come from another site are a 403', async (t) => {
  const { d, cookie } = await setUp(t)
  assert.equal((await fetch(key(d.url), { method: 'PUT', body: 'light', headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status, 204)
  const hostile: Array<[string, string, Record<string, string>]> = [
    ['PUT', key(d.url), { 'sec-fetch-site': 'cross-site' }],
    // Same-site is another origin too: a realm on its own host (host realms) gets the SameSite=Lax cookie.
    ['PUT', key(d.url), { 'sec-fetch-site': 'same-site' }],
    ['PUT', key(d.url), { origin: 'http://evil.example' }],
    ['DELETE', key(d.url), { 'sec-fetch-site': 'cross-site' }],
    ['PUT', `${d.url}/_sessiond/store`, { origin: 'http://evil.example', 'content-type': 'application/json' }],
    // An Authorization header that the store does not read as a token leaves the cookie in charge.
    ['PUT', key(d.url), { 'sec-fetch-site': 'cross-site', authorization: 'Digest username="alice"' }],
    // A token that does not verify buys nothing.
    ['PUT', key(d.url), { 'sec-fetch-site': 'cross-site', authorization: 'Bearer forged.token' }]
  ]
  for (const [method, url, headers] of hostile) {
    const res = await fetch(url, { method, body: method === 'DELETE' ? undefined : '{"theme":"dark"}', headers: { cookie, ...headers } })
    assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`)
    assert.equal((await res.json() as { error: string }).error, 'GW_ERR_CSRF')
  }
  const now = await fetch(key(d.url), { headers: { cookie, 'sec-fetch-site': 'cross-site' } })
  assert.equal(await now.text(), 'light', 'nothing was written; reads are not refused')
  // Clients that are not browsers send neither header and are not subject to CSRF.
  assert.equal((await fetch(key(d.url), { method: 'PUT', body: 'dark', headers: { cookie } })).status, 204)
})

test('token-authorised store writes (workers) need no CSRF proof, wherever a token travels', async (t) => {
  const { d, worker, token } = await setUp(t)
  const cross = { 'sec-fetch-site': 'cross-site', origin: 'http://elsewhere.example' }
  const basic = 'Basic ' + Buffer.from(`session:${token}`).toString('base64')
  assert.equal((await fetch(key(d.url), { method: 'PUT', body: 'a', headers: { ...cross, authorization: `Bearer ${token}` } })).status, 204)
  assert.equal((await fetch(key(d.url), { method: 'PUT', body: 'b', headers: { ...cross, authorization: basic } })).status, 204)
  assert.equal((await fetch(`${key(d.url)}?token=${token}`, { method: 'PUT', body: 'c', headers: cross })).status, 204)
  assert.equal(await d.store.get(worker, 'theme'), 'c')
})
