import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { cookieOf, getJson, postLogin as attempt, startDaemon } from './helpers/daemon.ts'

test('failed logins for one account lead to delays, then 429 with Retry-After, even for the right password', async (t) => {
  // Long enough that an unknown name's full-cost dummy hash (a few hundred ms on a busy machine) cannot outlast it.
  const d = await startDaemon(t, { extra: { login: { attemptsPerUser: 2, attemptsPerIp: 100, delay: '3s' } } })
  const statuses = async (user: string) => {
    const out: number[] = []
    for (let i = 0; i < 3; i++) out.push((await attempt(d.url, user, 'wrong-password')).status)
    const locked = await attempt(d.url, user, `${user}-password`)
    out.push(locked.status)
    if (locked.status === 429) {
      assert.ok(Number(locked.headers.get('retry-after')) >= 1 && Number(locked.headers.get('retry-after')) <= 3)
      assert.equal((await locked.json() as { error: string }).error, 'GW_ERR_TOO_MANY_LOGINS')
    }
    return out
  }
  assert.deepEqual(await statuses('alice'), [401, 401, 401, 429])
  assert.deepEqual(await statuses('mallory'), [401, 401, 401, 429], 'an unknown name is throttled the same way')
  assert.equal((await attempt(d.url, 'bob', 'bob-password')).status, 200, 'another account is not affected')
  await sleep(3100)
  assert.equal((await attempt(d.url, 'alice', 'alice-password')).status, 200, 'after the delay the right password works')
  for (let i = 0; i < 2; i++) assert.equal((await attempt(d.url, 'alice', 'wrong-password')).status, 401)
  assert.equal((await attempt(d.url, 'alice', 'wrong-password')).status, 401, 'a success started the count over')
})

test('failed logins from one address are limited across accounts', async (t) => {
  const d = await startDaemon(t, { extra: { login: { attemptsPerUser: 100, attemptsPerIp: 3, delay: '5s' } } })
  for (const name of ['u1', 'u2', 'u3', 'u4']) assert.equal((await attempt(d.url, name, 'wrong-password')).status, 401)
  const res = await attempt(d.url, 'bob', 'bob-password')
  assert.equal(res.status, 429)
  assert.equal(res.headers.get('retry-after'), '5')
})

test('parallel guesses at one account are checked in turn, so none slips past the limit', async (t) => {
  const d = await startDaemon(t, { extra: { login: { attemptsPerUser: 3, attemptsPerIp: 100, delay: '10s' } } })
  const all = await Promise.all(Array.from({ length: 12 }, () => attempt(d.url, 'alice', 'wrong-password').then(r => r.status)))
  assert.equal(all.filter(s => s === 401).length, 4)
  assert.equal(all.filter(s => s === 429).length, 8)
})

test('a burst of good logins from one address is not throttled', async (t) => {
  const d = await startDaemon(t, { extra: { login: { attemptsPerUser: 2, attemptsPerIp: 2 } } })
  const all = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(d.url, i % 2 ? 'alice' : 'bob', i % 2 ? 'alice-password' : 'bob-password').then(r => r.status)))
  assert.deepEqual(all, Array(10).fill(200))
})

test('cross-site posts to login and logout are 403; the session survives', async (t) => {
  const d = await startDaemon(t)
  const crossSite: Array<Record<string, string>> = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://evil.example' }, { origin: 'null' }]
  for (const headers of crossSite) {
    const res = await attempt(d.url, 'alice', 'alice-password', headers)
    assert.equal(res.status, 403, JSON.stringify(headers))
    assert.equal((await res.json() as { error: string }).error, 'GW_ERR_CSRF')
    assert.equal(res.headers.getSetCookie().length, 0)
  }
  const same = await attempt(d.url, 'alice', 'alice-password', { origin: d.url, 'sec-fetch-site': 'same-origin' })
  assert.equal(same.status, 200, 'a same-origin browser post works')
  const cookie = cookieOf(same)
  const out = await getJson(d.url + '/logout', cookie, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })
  assert.equal(out.status, 403)
  assert.equal((await getJson(d.url + '/lab/count', cookie)).status, 200, 'the session was not logged out')
})

test('form posts need the token bound to their cookie; the pages carry it', async (t) => {
  const d = await startDaemon(t)
  const page = await fetch(d.url + '/login')
  const token = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]
  const pre = cookieOf(page)
  const form = (fields: Record<string, string>, cookie?: string) => fetch(d.url + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie && { cookie }) },
    body: new URLSearchParams({ username: 'alice', password: 'alice-password', ...fields }).toString()
  })
  assert.equal((await form({})).status, 403, 'no token')
  assert.equal((await form({ csrf: token })).status, 403, 'a token without its cookie')
  assert.equal((await form({ csrf: token.slice(1) + 'A' }, pre)).status, 403, 'a wrong token')
  const textPlain = await fetch(d.url + '/login', { method: 'POST', headers: { 'content-type': 'text/plain', cookie: pre }, body: 'username=alice' })
  assert.equal(textPlain.status, 403, 'text/plain, which a cross-site form can send')
  const ok = await form({ csrf: token }, pre)
  assert.equal(ok.status, 303)
  const cookie = cookieOf(ok)
  // The logout form on the index page carries the session's new token.
  const index = await (await fetch(d.url + '/', { headers: { cookie } })).text()
  const logoutToken = /action="\/logout"><input type="hidden" name="csrf" value="([^"]+)"/.exec(index)![1]
  assert.notEqual(logoutToken, token, 'login renews the token')
  const stale = await fetch(d.url + '/logout', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: `csrf=${token}` })
  assert.equal(stale.status, 403)
  const out = await fetch(d.url + '/logout', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie }, body: `csrf=${logoutToken}` })
  assert.equal(out.status, 303)
  assert.equal((await getJson(d.url + '/lab/count', cookie)).status, 401)
})

/** A browser's form login from `ip` (the daemon believes X-Forwarded-For from loopback), with the cookies it holds. */
async function formLoginFrom (url: string, ip: string, user: string, password: string, device?: string): Promise<Response> {
  const page = await fetch(url + '/login', { headers: { 'x-forwarded-for': ip, ...(device && { cookie: device }) } })
  const session = page.headers.getSetCookie().find(c => c.startsWith('sessiond='))!.split(';', 1)[0]
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]
  return fetch(url + '/login', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, cookie: [session, device].filter(Boolean).join('; ') },
    body: new URLSearchParams({ username: user, password, csrf }).toString()
  })
}

test('an attacker cannot lock a user out: her own browser, and addresses that did not guess, log in at once', async (t) => {
  // Issue 15, finding 11. The daemon believes X-Forwarded-For from loopback, so that a test can be several addresses.
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'], login: { attemptsPerUser: 3, attemptsPerAccount: 20, attemptsPerIp: 10, delay: '30s' } } })
  const from = (ip: string) => ({ 'x-forwarded-for': ip })
  // Alice logged in from her browser once: it is her device from now on.
  const first = await formLoginFrom(d.url, '10.0.0.7', 'alice', 'alice-password')
  assert.equal(first.status, 303)
  const device = first.headers.getSetCookie().find(c => c.startsWith('sessiond-device='))
  assert.ok(device, 'a good login from the form leaves a device cookie')
  assert.match(device, /HttpOnly/i)
  assert.match(device, /SameSite=Strict/i)
  assert.match(device, /Path=\/login/)
  const deviceCookie = device.split(';', 1)[0]

  // The attacker guesses from alice's own address (a shared NAT), and from many others.
  for (let i = 0; i < 12; i++) await attempt(d.url, 'alice', 'guess-' + i, from('10.0.0.7'))
  for (let i = 0; i < 30; i++) await attempt(d.url, 'alice', 'guess-' + i, from(`198.51.100.${i}`))
  assert.equal((await attempt(d.url, 'alice', 'alice-password', from('10.0.0.7'))).status, 429, 'guesses from that address without the device cookie are slowed down')
  assert.equal((await formLoginFrom(d.url, '10.0.0.7', 'alice', 'alice-password')).status, 429, 'a browser that is not hers too')

  assert.equal((await formLoginFrom(d.url, '10.0.0.7', 'alice', 'alice-password', deviceCookie)).status, 303, 'alice\'s own browser logs in at once, from the very address the attacker used')
  // Wrong passwords from her device are throttled on its own count: three free, then a delay.
  for (let i = 0; i < 4; i++) assert.equal((await formLoginFrom(d.url, '10.0.0.7', 'alice', 'typo', deviceCookie)).status, 401)
  assert.equal((await formLoginFrom(d.url, '10.0.0.7', 'alice', 'alice-password', deviceCookie)).status, 429)
  // Bob, whom nobody guessed at, logs in from an address the attacker did not use.
  assert.equal((await attempt(d.url, 'bob', 'bob-password', from('10.0.0.9'))).status, 200)
  // A device cookie of alice's vouches for nobody else.
  for (let i = 0; i < 12; i++) await attempt(d.url, 'bob', 'guess', from('10.0.0.7'))
  assert.equal((await formLoginFrom(d.url, '10.0.0.7', 'bob', 'bob-password', deviceCookie)).status, 429)
})
