// The admin API against the real daemon: who may use it (an admin's login,
// tokens by scope, never a plain user's session, never across sites), what
// it shows (sessions by hash, workers with their details, status) and what
// each action does, with every action logged with who did it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getJson, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

const API = '/_sessiond/admin/api/v1'

async function csrfOf (url: string, cookie: string): Promise<string> {
  const page = await fetch(url + '/_sessiond/admin/', { headers: { cookie } })
  assert.equal(page.status, 200)
  return /name="sessiond-csrf" content="([^"]+)"/.exec(await page.text())![1]
}

test('the admin API: access rules for logins, tokens and other sites, the views, and every action', async (t) => {
  const d = await startDaemon(t, {
    users: { root: 'root-password', alice: 'alice-password', bob: 'bob-password' },
    groups: { root: ['admin'], alice: ['staff'] },
    realms: [{ name: 'lab', mount: '/lab' }, { name: 'other', mount: '/other' }],
    extra: { log: { level: 'info' } }
  })
  const admin = await d.login('root', 'root-password')
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1)
  assert.equal((await getJson(d.url + '/other/count', alice)).body.count, 1)
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 1)

  // Who may use it.
  assert.equal((await getJson(d.url + API + '/workers')).status, 401, 'nobody')
  const plain = await getJson(d.url + API + '/workers', alice)
  assert.equal(plain.status, 403, 'a plain user\'s session')
  assert.equal(plain.body.error, 'GW_ERR_ADMIN_FORBIDDEN')
  assert.equal((await fetch(d.url + API + '/workers/x.lab/stop', { method: 'POST', headers: { cookie: alice } })).status, 403)
  assert.equal((await fetch(d.url + '/_sessiond/admin/', { headers: { cookie: alice } })).status, 403, 'nor the page')
  assert.equal((await fetch(d.url + '/_sessiond/metrics', { headers: { cookie: alice } })).status, 403, 'nor the metrics')
  assert.equal((await getJson(d.url + API + '/whoami', admin)).body.who, 'user:root')

  const readToken = (await runCli(['admin', 'token', 'create', 'grafana', '--data', d.dataDir])).stdout.trim()
  const actToken = (await runCli(['admin', 'token', 'create', 'ops-bot', '--scope', 'act', '--data', d.dataDir])).stdout.trim()
  assert.match(readToken, /^sdadm_[A-Za-z0-9_-]{43}$/)
  const stored = await readFile(join(d.dataDir, 'admin-tokens.json'), 'utf8')
  assert.ok(!stored.includes(readToken) && !stored.includes(actToken), 'tokens are stored hashed')
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  assert.equal((await getJson(d.url + API + '/whoami', undefined, { headers: bearer(readToken) })).body.who, 'token:grafana')
  assert.equal((await getJson(d.url + API + '/workers', undefined, { headers: bearer('sdadm_' + 'x'.repeat(43)) })).status, 401, 'an unknown token')
  const readOnly = await fetch(d.url + API + '/reload', { method: 'POST', headers: bearer(readToken) })
  assert.equal(readOnly.status, 403, 'a read token cannot act')

  // The workers: by session hash, with their details.
  const { body: { workers, total } } = await getJson(d.url + API + '/workers', undefined, { headers: bearer(readToken) })
  assert.equal(total, 3)
  const aliceLab = workers.find((w: any) => w.user === 'alice' && w.realm === 'lab')
  assert.deepEqual([aliceLab.kind, aliceLab.state, aliceLab.requests, aliceLab.inFlight, aliceLab.queued, aliceLab.restarts], ['thread', 'ready', 1, 0, 0, 0])
  assert.equal(typeof aliceLab.threadId, 'number')
  assert.ok(aliceLab.heapUsedBytes > 0 && aliceLab.cpuSeconds > 0)
  assert.match(aliceLab.id, /^[A-Za-z0-9_-]{10}\.lab$/)
  assert.equal((await getJson(d.url + API + '/workers?user=alice&realm=other', admin)).body.total, 1, 'filters')
  assert.equal((await getJson(d.url + API + '/workers?limit=1&offset=2', admin)).body.workers.length, 1, 'pages')
  assert.equal((await getJson(d.url + API + '/workers?state=asleep', admin)).status, 400)

  // The sessions: hashes, never ids.
  const sessions = (await getJson(d.url + API + '/sessions', admin)).body
  assert.equal(sessions.total, 3)
  const aliceSession = sessions.sessions.find((s: any) => s.user === 'alice')
  assert.equal(aliceSession.id, aliceLab.session)
  assert.deepEqual(aliceSession.workers.map((w: any) => w.realm).sort(), ['lab', 'other'])
  assert.ok(aliceSession.createdAt <= aliceSession.lastSeenAt && aliceSession.lastSeenAt < aliceSession.expiresAt)
  const sid = (c: string) => c.split('=')[1]
  for (const c of [admin, alice, bob]) assert.ok(!JSON.stringify(sessions).includes(sid(c)), 'no cookie value in the view')
  assert.equal((await getJson(d.url + API + '/sessions?realm=other', admin)).body.total, 1)

  // Actions by cookie need this origin and the page's token; by token, neither.
  const stopUrl = `${d.url}${API}/workers/${aliceLab.id}/hibernate`
  assert.equal((await fetch(stopUrl, { method: 'POST', headers: { cookie: admin } })).status, 403, 'no CSRF header')
  const csrf = await csrfOf(d.url, admin)
  assert.equal((await fetch(stopUrl, { method: 'POST', headers: { cookie: admin, 'x-sessiond-csrf': csrf, origin: 'https://evil.example' } })).status, 403, 'another site')
  const hibernated = await fetch(stopUrl, { method: 'POST', headers: { cookie: admin, 'x-sessiond-csrf': csrf } })
  assert.equal(hibernated.status, 200)
  const h = await hibernated.json() as any
  assert.deepEqual([h.action, h.before.state, h.after], ['hibernate', 'ready', null], 'the lab realm\'s handler keeps no state: nothing is left to resume')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1, 'the next request starts a new worker')

  const post = (path: string) => fetch(d.url + API + path, { method: 'POST', headers: bearer(actToken) })
  const restarted = await (await post(`/workers/${aliceLab.id}/restart`)).json() as any
  assert.equal(restarted.after.state, 'ready')
  assert.notEqual(restarted.after.threadId, restarted.before.threadId)
  assert.equal(restarted.after.restarts, 1)
  const stopped = await (await post(`/workers/${aliceLab.id}/stop`)).json() as any
  assert.deepEqual([stopped.before.state, stopped.after], ['ready', null])
  assert.equal((await post('/workers/nosuch.lab/stop')).status, 404)

  const bobSession = sessions.sessions.find((s: any) => s.user === 'bob')
  const ended = await (await post(`/sessions/${bobSession.id}/end`)).json() as any
  assert.deepEqual(ended.ended, [{ id: bobSession.id, user: 'bob' }])
  assert.equal((await getJson(d.url + '/lab/count', bob)).status, 401, 'bob is logged out')
  const alice2 = await d.login('alice', 'alice-password')
  const everywhere = await (await post('/users/alice/sessions/end')).json() as any
  assert.equal(everywhere.ended.length, 2)
  for (const c of [alice, alice2]) assert.equal((await getJson(d.url + '/lab/count', c)).status, 401, 'alice is logged out everywhere')
  assert.equal((await getJson(d.url + API + '/workers?user=alice', admin)).body.total, 0, 'and her workers are gone')

  const reloaded = await (await post('/reload')).json() as any
  assert.deepEqual([reloaded.added, reloaded.changed, reloaded.removed], [[], [], []])

  // Status: PHP-FPM's and Passenger's summary, as JSON and as OpenMetrics.
  const status = (await getJson(d.url + API + '/status', admin)).body
  const lab = status.realms.find((r: any) => r.name === 'lab')
  assert.equal(status.sessions, 1)
  assert.ok(lab.counts.spawns >= 4)
  assert.deepEqual(Object.keys(lab.workers), ['starting', 'ready', 'busy', 'hibernated', 'backoff', 'stopping'])
  const om = await fetch(d.url + API + '/status?format=openmetrics', { headers: bearer(readToken) })
  assert.match(om.headers.get('content-type')!, /application\/openmetrics-text/)
  const text = await om.text()
  assert.match(text, /^sessiond_worker_spawns_total\{realm="lab",kind="thread"\} \d+$/m)
  assert.match(text, /# EOF\n$/)

  // Every action logged with who did it; no token in the log.
  const log = d.output()
  for (const line of ['"by":"user:root","action":"worker hibernate"', '"by":"token:ops-bot","action":"worker restart"', '"by":"token:ops-bot","action":"session end"', '"by":"token:ops-bot","action":"user sessions end"', '"by":"token:ops-bot","action":"reload"']) {
    assert.ok(log.includes(line), `logged: ${line}`)
  }
  assert.ok(!log.includes(readToken) && !log.includes(actToken), 'no token is ever logged')
})
