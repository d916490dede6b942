// Realm CSRF on by default (realm-csrf.ts): a state-changing request that a
// browser says comes from another site never reaches the worker; clients
// that are not browsers, same-origin pages and opted-out realms pass.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { getJson, startDaemon } from './helpers/daemon.ts'

test('a cross-site POST to a realm is refused with 403 before the worker sees it, unless the realm sets csrf off', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab' }, { name: 'api', mount: '/api', csrf: 'off' }] })
  const cookie = await d.login('alice', 'alice-password')
  const post = (path: string, headers: Record<string, string> = {}) => getJson(d.url + path, cookie, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'a=1' })

  const evil = await post('/lab/count', { origin: 'http://evil.example' })
  assert.equal(evil.status, 403)
  assert.equal(evil.body.error, 'GW_ERR_CSRF')
  assert.match(evil.body.message, /Origin http:\/\/evil\.example is not this gateway's origin http:\/\/127\.0\.0\.1:\d+/)
  const crossSite = await post('/lab/count', { 'sec-fetch-site': 'cross-site' })
  assert.equal(crossSite.status, 403)
  const sameSite = await post('/lab/count', { 'sec-fetch-site': 'same-site' })
  assert.equal(sameSite.status, 403, 'another realm\'s host is same-site but not same-origin')
  assert.equal((await getJson(d.url + '/lab/slow?ms=1', cookie, { headers: { origin: 'http://evil.example' } })).status, 200, 'a GET (which changes nothing) passes')

  // None of the refused requests reached the worker: the first that does counts 1.
  const own = await post('/lab/count', { origin: new URL(d.url).origin, 'sec-fetch-site': 'same-origin' })
  assert.equal(own.status, 200)
  assert.equal(own.body.count, 1)
  assert.equal((await post('/lab/count')).body.count, 2, 'curl and scripts send neither header')
  assert.equal((await post('/api/count', { origin: 'http://evil.example' })).status, 200, 'csrf: off')
})

test('behind a front server that drops the port from Host, the login 403 says which origin it expected and which it got', async (t) => {
  const d = await startDaemon(t)
  const { port } = new URL(d.url)
  const res = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/login', method: 'POST', headers: { host: '127.0.0.1', origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json' } }, (r) => {
      let body = ''
      r.on('data', (c) => { body += c })
      r.on('end', () => resolve({ status: r.statusCode!, body }))
    })
    req.on('error', reject)
    req.end(JSON.stringify({ username: 'alice', password: 'alice-password' }))
  })
  assert.equal(res.status, 403)
  const { message } = JSON.parse(res.body)
  assert.match(message, new RegExp(`Origin http://127\\.0\\.0\\.1:${port} is not this gateway's origin http://127\\.0\\.0\\.1 `))
  assert.match(message, /\$http_host/)
})

test('a worker response without a content type reaches the client without one, whole or streamed', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  for (const path of ['/lab/untyped', '/lab/untyped?stream=1']) {
    const res = await fetch(d.url + path, { headers: { cookie } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), null, path)
    assert.match(await res.text(), /sniff me/)
  }
})
