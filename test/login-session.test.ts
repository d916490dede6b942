import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cookieOf, getJson, postLogin, startDaemon } from './helpers/daemon.ts'

test('login, cookie, realm: the worker keeps this session\'s state between requests', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  const counts: Array<{ user: string, count: number, threadId: number, path: string }> = []
  for (let i = 0; i < 3; i++) counts.push((await getJson(d.url + '/lab/count', cookie)).body)
  assert.deepEqual(counts.map(c => c.count), [1, 2, 3])
  assert.ok(counts.every(c => c.user === 'alice' && c.threadId === counts[0].threadId))
  assert.equal(counts[0].path, '/count', 'the worker sees the path below the mount')
})

test('the session cookie is HttpOnly, SameSite=Lax, and not Secure over plain HTTP', async (t) => {
  const d = await startDaemon(t)
  const res = await postLogin(d.url, 'alice', 'alice-password')
  const set = res.headers.getSetCookie().find(c => c.startsWith('sessiond='))!
  assert.match(set, /HttpOnly/i)
  assert.match(set, /SameSite=Lax/i)
  assert.doesNotMatch(set, /Secure/i)
  assert.match(set, /Path=\//)
})

test('a form login redirects 303 to a same-origin next and nowhere else', async (t) => {
  const d = await startDaemon(t)
  // A form post carries the token that GET /login bound to its cookie (csrf-guard.ts).
  const page = await fetch(d.url + '/login')
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]
  const pre = cookieOf(page)
  const form = (next: string) => fetch(d.url + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: pre },
    body: new URLSearchParams({ username: 'alice', password: 'alice-password', next, csrf }).toString()
  })
  const ok = await form('/lab/count?x=1')
  assert.equal(ok.status, 303)
  assert.equal(ok.headers.get('location'), '/lab/count?x=1')
  const after = await getJson(d.url + '/lab/count', cookieOf(ok))
  assert.equal(after.body.count, 1)
  for (const evil of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const res = await form(evil)
    assert.equal(res.status, 303)
    assert.equal(res.headers.get('location'), '/', `next=${evil}`)
  }
})

test('GET /login serves the form and GET /healthz answers 200', async (t) => {
  const d = await startDaemon(t)
  const page = await fetch(d.url + '/login?next=/lab/count')
  assert.equal(page.status, 200)
  const html = await page.text()
  assert.match(html, /<form method="post" action="\/login">/)
  assert.match(html, /name="next" value="\/lab\/count"/)
  assert.equal((await getJson(d.url + '/healthz')).status, 200)
})

test('without a session: browsers are redirected to the login form, API clients get 401 JSON', async (t) => {
  const d = await startDaemon(t)
  const browser = await fetch(d.url + '/lab/count?a=b', { headers: { accept: 'text/html,*/*' }, redirect: 'manual' })
  assert.equal(browser.status, 302)
  assert.equal(browser.headers.get('location'), '/login?next=' + encodeURIComponent('/lab/count?a=b'))
  const api = await getJson(d.url + '/lab/count')
  assert.equal(api.status, 401)
  assert.equal(api.body.error, 'GW_ERR_NOT_AUTHENTICATED')
})

test('a bad password and an unknown user get the same generic 401', async (t) => {
  const d = await startDaemon(t)
  const attempt = async (username: string, password: string) => {
    const res = await postLogin(d.url, username, password)
    const body = await res.json() as { message: string, error: string }
    assert.equal(res.headers.getSetCookie().length, 0, 'no cookie on failure')
    return { status: res.status, message: body.message, error: body.error }
  }
  const wrong = await attempt('alice', 'not-her-password')
  const unknown = await attempt('mallory', 'whatever-password')
  assert.equal(wrong.status, 401)
  assert.deepEqual(wrong, unknown)
  assert.doesNotMatch(wrong.message, /alice|mallory|exist/i)
  const missing = await attempt('', '')
  assert.equal(missing.status, 401)
})

test('a tampered, truncated or foreign cookie counts as no session, never a 500', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  const value = cookie.slice('sessiond='.length)
  const decoded = decodeURIComponent(value)
  const flipped = decoded.slice(0, 10) + (decoded[10] === 'A' ? 'B' : 'A') + decoded.slice(11)
  for (const bad of [
    'sessiond=' + encodeURIComponent(flipped),
    'sessiond=' + value.slice(0, value.length - 5),
    'sessiond=' + value + 'AAAA',
    'sessiond=not-a-cookie',
    'sessiond=' + 'A'.repeat(3000),
    'sessiond='
  ]) {
    const res = await getJson(d.url + '/lab/count', bad)
    assert.equal(res.status, 401, bad.slice(0, 40))
  }
  assert.equal((await getJson(d.url + '/lab/count', cookie)).body.count, 1, 'the real cookie still works')
})

test('logout destroys the session: the old cookie no longer reaches the worker', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/lab/count', cookie)).body.count, 1)
  const out = await getJson(d.url + '/logout', cookie, { method: 'POST' })
  assert.equal(out.status, 200)
  const replay = await getJson(d.url + '/lab/count', cookie)
  assert.equal(replay.status, 401)
  // A new login gets a new session and a fresh worker.
  const again = await d.login('alice', 'alice-password')
  assert.notEqual(again, cookie)
  assert.equal((await getJson(d.url + '/lab/count', again)).body.count, 1)
})

test('every login issues a new session id and ends the one the cookie held', async (t) => {
  const d = await startDaemon(t)
  const first = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/lab/count', first)).body.count, 1)
  const res = await postLogin(d.url, 'bob', 'bob-password', { cookie: first })
  assert.equal(res.status, 200)
  const second = cookieOf(res)
  assert.notEqual(second, first)
  assert.equal((await getJson(d.url + '/lab/count', first)).status, 401, 'the old session is gone')
  const now = await getJson(d.url + '/lab/count', second)
  assert.deepEqual([now.body.user, now.body.count], ['bob', 1])
})

test('an anonymous realm gives each cookie-less visitor a session of their own', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'open', mount: '/open', auth: 'anonymous' }] })
  const first = await fetch(d.url + '/open/count')
  assert.equal(first.status, 200)
  const cookie = cookieOf(first)
  assert.deepEqual(await first.json().then((b: any) => [b.user, b.count]), ['anonymous', 1])
  assert.equal((await getJson(d.url + '/open/count', cookie)).body.count, 2)
  assert.equal((await getJson(d.url + '/open/count')).body.count, 1, 'another visitor starts at 1')
})

test('a mount without its trailing slash redirects to it, keeping the query', async (t) => {
  const d = await startDaemon(t)
  const res = await fetch(d.url + '/lab?x=1', { redirect: 'manual' })
  assert.equal(res.status, 308)
  assert.equal(res.headers.get('location'), '/lab/?x=1')
  assert.equal((await getJson(d.url + '/nothing-here')).status, 404)
})
