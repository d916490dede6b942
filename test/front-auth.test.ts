import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { startDaemon } from './helpers/daemon.ts'
import type { Response } from 'undici'

// The front server is 127.0.0.1; 127.0.0.2 is any other client that can reach the daemon.
const HEADER_MODE = { trustProxy: ['127.0.0.1'], auth: { mode: 'header', header: 'X-Remote-User' } }

async function count (res: Response) {
  assert.equal(res.status, 200, await res.clone().text())
  const body = await res.json() as { user: string, count: number }
  return [body.user, body.count]
}

test('auth mode header: the trusted front server\'s user gets a session that persists; another user gets a new session id', async (t) => {
  const d = await startDaemon(t, { extra: HEADER_MODE })
  const proxy = client(d.url)
  const first = await proxy.fetch('/lab/count', { headers: { 'x-remote-user': 'carol' } })
  assert.deepEqual(await count(first), ['carol', 1], 'a user the users file does not know: the front server vouches for them')
  const carol = sessionCookie(first)!.pair
  assert.deepEqual(await count(await proxy.fetch('/lab/count', { headers: { 'x-remote-user': 'carol', cookie: carol } })), ['carol', 2])

  const swapped = await proxy.fetch('/lab/count', { headers: { 'x-remote-user': 'dave', cookie: carol } })
  assert.deepEqual(await count(swapped), ['dave', 1], 'the cookie of another user is not this user\'s session')
  const dave = sessionCookie(swapped)!.pair
  assert.notEqual(dave, carol)
  // Carol's session ended with the swap; the front server still vouches for her, so she simply gets a new one.
  const back = await proxy.fetch('/lab/count', { headers: { 'x-remote-user': 'carol', cookie: carol } })
  assert.deepEqual(await count(back), ['carol', 1])
  assert.notEqual(sessionCookie(back)?.pair, undefined)

  const echoed = await (await proxy.fetch('/lab/echo-headers', { headers: { 'x-remote-user': 'dave', cookie: dave } })).json() as { headers: Record<string, string> }
  assert.equal(echoed.headers['x-remote-user'], undefined, 'the worker never sees the header')
})

test('auth mode header: from an untrusted address the header is a 403 and never believed; the cookie alone is no login', async (t) => {
  const d = await startDaemon(t, { extra: HEADER_MODE })
  const proxy = client(d.url)
  const stranger = client(d.url, { localAddress: '127.0.0.2' })
  const spoofed = await stranger.fetch('/lab/count', { headers: { 'x-remote-user': 'alice' } })
  assert.equal(spoofed.status, 403)
  assert.equal((await spoofed.json() as { error: string }).error, 'GW_ERR_UNTRUSTED_AUTH_HEADER')
  assert.equal(sessionCookie(spoofed), undefined, 'no session for a name from nowhere')
  assert.equal((await stranger.fetch('/_sessiond/store', { headers: { 'x-remote-user': 'alice' } })).status, 403, 'the store API too')

  const alice = sessionCookie(await proxy.fetch('/lab/count', { headers: { 'x-remote-user': 'alice' } }))!.pair
  assert.equal((await stranger.fetch('/lab/count', { headers: { cookie: alice } })).status, 401, 'past the front server, a cookie proves nothing')
  assert.equal((await proxy.fetch('/lab/count', { headers: { cookie: alice } })).status, 401, 'a request the front server vouched nobody for')
  assert.equal((await stranger.fetch('/_sessiond/store', { headers: { cookie: alice } })).status, 401)
  const browser = await stranger.fetch('/lab/count', { headers: { cookie: alice, accept: 'text/html' } })
  assert.equal(browser.status, 401, 'no login form to send a browser to')
  assert.equal(browser.headers.get('location'), null)
})

test('auth mode header: no password login, and a name the gateway cannot take is refused', async (t) => {
  const d = await startDaemon(t, { extra: HEADER_MODE })
  const proxy = client(d.url)
  assert.equal((await jsonLogin(proxy, 'bob', 'bob-password', { 'x-remote-user': 'alice' })).status, 404)
  assert.equal((await proxy.fetch('/login')).status, 404)
  for (const name of ['alice bob', '../etc', 'a'.repeat(200), 'alice,bob']) {
    const res = await proxy.fetch('/lab/count', { headers: { 'x-remote-user': name } })
    assert.equal(res.status, 403, name)
    assert.equal((await res.json() as { error: string }).error, 'GW_ERR_BAD_REMOTE_USER')
  }
})

test('auth mode form (the default): the header means nothing, even from a trusted proxy', async (t) => {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'] } })
  const res = await client(d.url).fetch('/lab/count', { headers: { 'x-remote-user': 'alice' } })
  assert.equal(res.status, 401)
})
