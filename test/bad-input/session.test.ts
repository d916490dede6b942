import { test } from 'node:test'
import { getJson } from '../helpers/daemon.ts'
import { runCorpus } from './harness.ts'
import type { Case, CaseContext } from './harness.ts'

const value = (c: CaseContext) => c.cookie.slice('sessiond='.length)
const withCookie = (cookie: (c: CaseContext) => string, path = '/lab/count') => async (c: CaseContext) => (await getJson(c.url + path, cookie(c))).status
const login = (body: string, type = 'application/json', headers: Record<string, string> = {}) => async (c: CaseContext) =>
  (await fetch(c.url + '/login', { method: 'POST', headers: { 'content-type': type, ...headers }, body })).status

const cases: Case[] = [
  { name: 'a cookie over 4 KiB', status: 401, run: withCookie(() => 'sessiond=' + 'A'.repeat(5000)) },
  { name: 'a truncated cookie', status: 401, run: withCookie(c => 'sessiond=' + value(c).slice(0, -6)) },
  { name: 'a padded cookie', status: 401, run: withCookie(c => 'sessiond=' + value(c) + 'AAAA') },
  { name: 'a cookie with broken base64', status: 401, run: withCookie(c => 'sessiond=' + value(c).slice(0, 20) + '!!!*' + value(c).slice(24)) },
  { name: 'a cookie with a bit flipped', status: 401, run: withCookie(c => { const v = decodeURIComponent(value(c)); return 'sessiond=' + encodeURIComponent(v.slice(0, 30) + (v[30] === 'A' ? 'B' : 'A') + v.slice(31)) }) },
  { name: 'an empty cookie', status: 401, run: withCookie(() => 'sessiond=') },
  { name: 'a cookie of only separators', status: 401, run: withCookie(() => 'sessiond=;;;=;') },
  { name: 'a plain-HTTP cookie under the __Host- name', status: 401, run: withCookie(c => '__Host-sessiond=' + value(c)) },
  { name: 'a session cookie that opens, on an unknown realm', status: 404, run: withCookie(c => c.cookie, '/nope/count') },
  { name: 'a percent-encoded NUL in the cookie', status: 401, run: withCookie(() => 'sessiond=%00%00%00') },
  { name: 'login: JSON with __proto__', status: 400, run: login('{"username":"alice","password":"alice-password","__proto__":{"x":1}}') },
  { name: 'login: JSON with constructor.prototype', status: 400, run: login('{"username":"alice","constructor":{"prototype":{"x":1}}}') },
  { name: 'login: malformed JSON', status: 400, run: login('{"username":') },
  { name: 'login: a body over 8 KiB', status: 413, run: login(JSON.stringify({ username: 'alice', password: 'x'.repeat(9000) })) },
  { name: 'login: a password over the maximum length', status: 401, run: login(JSON.stringify({ username: 'alice', password: 'x'.repeat(2000) })) },
  { name: 'login: fields of the wrong type', status: 401, run: login(JSON.stringify({ username: ['alice'], password: { a: 1 } })) },
  { name: 'login: an unsupported content type', status: 415, run: login('<login/>', 'application/xml') },
  { name: 'login: a cross-site post', status: 403, run: login(JSON.stringify({ username: 'alice', password: 'alice-password' }), 'application/json', { 'sec-fetch-site': 'cross-site' }) },
  { name: 'login: a form post without its token', status: 403, run: login('username=alice&password=alice-password', 'application/x-www-form-urlencoded') },
  {
    name: 'a login flood ends in 429',
    status: 429,
    run: async (c) => {
      let status = 0
      for (let i = 0; i < 12 && status !== 429; i++) status = await login(JSON.stringify({ username: 'flood', password: 'wrong-password' }))(c)
      return status
    }
  }
]

test('bad session and login input: exact statuses, the daemon keeps serving, a busy session sees nothing', async (t) => {
  await runCorpus(t, cases, { extra: { login: { attemptsPerUser: 5, attemptsPerIp: 8, delay: '10s' } } })
})
