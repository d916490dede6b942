import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { browserFlow, client, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { startDaemon } from './helpers/daemon.ts'
import { deployFile, startApache } from './helpers/front-server.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

const skip = skipUnlessInstalled('apache2', 'apache2')
// Browsers come from another address than the front server's, which is the only trusted one.
const CLIENT = '127.0.0.2'
const BIG = { limits: { bodyLimit: '64MiB' } }

for (const mode of ['ProxyPass', 'mod_rewrite [P]']) {
  test(`through Apache (docs/deploy/apache.conf, ${mode}): form login, a realm's state, 8 MiB streamed both ways, logout`, { skip }, async (t) => {
    const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'], ...BIG } })
    const apache = await startApache(t, (listen) => deployFile('apache.conf', { LISTEN: listen, UPSTREAM: new URL(d.url).host, HTPASSWD: '/nonexistent', CERT: '/nonexistent', KEY: '/nonexistent' }),
      mode === 'ProxyPass' ? [] : ['SESSIOND_REWRITE'])
    const c = client(apache.url, { localAddress: CLIENT })
    await browserFlow(c, { cookieName: 'sessiond', forwardedProto: 'http', forwardedFor: CLIENT, forwardedHost: `127.0.0.1:${apache.port}` })
    // Escapes and the query reach the worker as the client wrote them.
    const login = await jsonLogin(c, 'bob', 'bob-password')
    const cookie = sessionCookie(login)!.pair
    const echoed = await (await c.fetch('/lab/echo-headers?q=a%20b&r=%2F', { headers: { cookie } })).json() as { url: string }
    assert.match(echoed.url, /\/echo-headers\?q=a%20b&r=%2F$/)
  })
}

test('through Apache with mod_auth_basic (SESSIOND_FRONT_AUTH) and auth.mode header: Apache says who the user is, nobody else can', { skip }, async (t) => {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'], auth: { mode: 'header', header: 'X-Remote-User' } } })
  const apache = await startApache(t, async (listen, dir) => {
    const file = join(dir, 'htpasswd')
    const lines = ['alice:alice-password', 'bob:bob-password'].map(pair => {
      const [user, pw] = pair.split(':')
      const hashed = spawnSync('openssl', ['passwd', '-apr1', pw], { encoding: 'utf8' })
      assert.equal(hashed.status, 0, hashed.stderr)
      return `${user}:${hashed.stdout.trim()}`
    })
    await writeFile(file, lines.join('\n') + '\n', { mode: 0o644 })
    return deployFile('apache.conf', { LISTEN: listen, UPSTREAM: new URL(d.url).host, HTPASSWD: file, CERT: '/nonexistent', KEY: '/nonexistent' })
  }, ['SESSIOND_FRONT_AUTH'])
  const c = client(apache.url, { localAddress: CLIENT })
  const basic = (user: string, pw: string) => 'Basic ' + Buffer.from(`${user}:${pw}`).toString('base64')

  assert.equal((await c.fetch('/lab/count')).status, 401, 'Apache asks for credentials')
  assert.equal((await c.fetch('/lab/count', { headers: { authorization: basic('alice', 'wrong') } })).status, 401)
  // The client's own X-Remote-User is replaced by the user Apache authenticated.
  const first = await c.fetch('/lab/count', { headers: { authorization: basic('alice', 'alice-password'), 'x-remote-user': 'bob' } })
  assert.equal(first.status, 200)
  assert.deepEqual(await first.json().then((b: any) => [b.user, b.count]), ['alice', 1])
  const alice = sessionCookie(first)!.pair
  const again = await c.fetch('/lab/count', { headers: { authorization: basic('alice', 'alice-password'), cookie: alice } })
  assert.deepEqual(await again.json().then((b: any) => [b.user, b.count]), ['alice', 2], 'the session and its worker persist')
  assert.equal(sessionCookie(again), undefined, 'the same user keeps the same session')

  const echoed = await (await c.fetch('/lab/echo-headers', { headers: { authorization: basic('alice', 'alice-password'), cookie: alice } })).json() as { headers: Record<string, string> }
  assert.equal(echoed.headers.authorization, undefined, 'the password stays in Apache')
  assert.equal(echoed.headers['x-remote-user'], undefined, 'workers take the user from the session, not a header')

  // Another user with alice's cookie: a new session id, and alice's session ends.
  const asBob = await c.fetch('/lab/count', { headers: { authorization: basic('bob', 'bob-password'), cookie: alice } })
  assert.deepEqual(await asBob.json().then((b: any) => [b.user, b.count]), ['bob', 1])
  const bob = sessionCookie(asBob)!.pair
  assert.notEqual(bob, alice)

  // The daemon itself, reached from the same loopback address but without Apache's header, takes no cookie as a login.
  assert.equal((await fetch(d.url + '/lab/count', { headers: { cookie: bob } })).status, 401)
  assert.equal((await c.fetch('/login')).status, 401, 'Apache guards the whole site')
})
