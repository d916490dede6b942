import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getJson, postLogin, startDaemon } from './helpers/daemon.ts'

const spoof = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }

function failLogin (url: string, headers: Record<string, string>) {
  return postLogin(url, 'nobody', 'wrong-password', headers).then(r => r.status)
}

test('X-Forwarded-* from a client that is not a trusted proxy change nothing', async (t) => {
  const d = await startDaemon(t, { extra: { login: { attemptsPerUser: 100, attemptsPerIp: 2, delay: '5s' } } })
  const cookie = await d.login('alice', 'alice-password')
  const seen = await getJson(d.url + '/lab/echo-headers', cookie, { headers: spoof })
  assert.equal(seen.body.headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen.body.headers['x-forwarded-proto'], 'http')
  assert.equal(seen.body.headers['x-forwarded-host'], new URL(d.url).host)
  assert.match(seen.body.url, /^http:\/\/127\.0\.0\.1:/)
  assert.equal(seen.headers.get('strict-transport-security'), null, 'no HSTS for a plain HTTP client')
  // Rate limits count the real peer, whatever address the header claims.
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push(await failLogin(d.url, { 'x-forwarded-for': `198.51.100.${i}` }))
  assert.deepEqual(statuses, [401, 401, 401, 429])
})

test('from a trusted proxy, X-Forwarded-* give the client address, scheme and host', async (t) => {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.0/8'], login: { attemptsPerUser: 100, attemptsPerIp: 2, delay: '5s' } } })
  const res = await postLogin(d.url, 'alice', 'alice-password', spoof)
  assert.equal(res.status, 200)
  // The client's scheme is HTTPS: the cookie is the __Host- one, Secure.
  const set = res.headers.getSetCookie()
  assert.equal(set.length, 1)
  assert.match(set[0], /^__Host-sessiond=/)
  assert.match(set[0], /; Secure/i)
  assert.match(set[0], /Path=\//)
  assert.doesNotMatch(set[0], /Domain=/i)
  assert.match(res.headers.get('strict-transport-security') ?? '', /^max-age=15552000; includeSubDomains$/)
  const cookie = set[0].split(';', 1)[0]
  assert.equal((await getJson(d.url + '/lab/count', cookie)).status, 401, 'an HTTPS cookie is not believed over plain HTTP')
  const seen = await getJson(d.url + '/lab/echo-headers', cookie, { headers: spoof })
  assert.equal(seen.body.headers['x-forwarded-for'], '203.0.113.7')
  assert.equal(seen.body.headers['x-forwarded-proto'], 'https')
  assert.equal(seen.body.headers['x-forwarded-host'], 'evil.example')
  assert.equal(seen.body.headers.cookie, undefined, 'the worker never sees the session cookie')
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push(await failLogin(d.url, { 'x-forwarded-for': `198.51.100.${i}` }))
  assert.deepEqual(statuses, [401, 401, 401, 401], 'each forwarded client is counted on its own')
})
