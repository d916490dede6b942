// /metrics against the real daemon, read as Prometheus reads it: each metric
// the docs list is there, with the labels it promises and never a user or a
// session, and it moves when the matching thing happens.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT, getJson, startDaemon } from './helpers/daemon.ts'
import { scrape } from './helpers/prometheus.ts'
import { runCli } from './helpers/run-cli.ts'

const HOG = fileURLToPath(new URL('../packages/supervisor/test/fixtures/rss-hog.py', import.meta.url))

test('metrics on metrics.listen and at /_sessiond/metrics move with spawns, requests, 503s, crashes, backoffs, memory kills, hibernations, logins and the store', async (t) => {
  const d = await startDaemon(t, {
    users: { root: 'root-password', alice: 'alice-password' },
    groups: { root: ['admin'] },
    realms: [
      { name: 'lab', mount: '/lab', concurrency: 1, queue: 0 },
      { name: 'crashy', mount: '/crashy' },
      { name: 'hog', mount: '/hog', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', HOG], maxRssMb: 96 }
    ],
    extra: { metrics: { listen: '127.0.0.1:0' }, log: { level: 'info', access: true } }
  })
  // Printed right after the banner the helper waited for.
  for (let i = 0; i < 100 && !/^sessiond metrics on /m.test(d.output()); i++) await new Promise(resolve => setTimeout(resolve, 20))
  const metricsUrl = /^sessiond metrics on (\S+)$/m.exec(d.output())![1]
  const before = await scrape(metricsUrl)
  assert.equal(before.type('sessiond_workers'), 'gauge')
  assert.equal(before.type('sessiond_worker_spawns_total'), 'counter')
  assert.equal(before.type('sessiond_http_request_duration_seconds'), 'histogram')
  assert.ok(before.type('process_cpu_user_seconds_total') && before.type('nodejs_eventloop_lag_seconds'), 'prom-client\'s default process metrics')
  assert.equal(before.value('sessiond_workers', { realm: 'lab', kind: 'thread', state: 'ready' }), 0)

  assert.equal((await d.login('alice', 'wrong-password').catch(() => null)), null)
  const alice = await d.login('alice', 'alice-password')
  for (let i = 0; i < 3; i++) assert.equal((await getJson(d.url + '/lab/count', alice)).status, 200)
  assert.equal((await getJson(d.url + '/lab/nothing-here', alice)).status, 404)
  // concurrency 1 and no queue: a second request while one is in flight is a 503 queue_full.
  const slow = getJson(d.url + '/lab/slow?ms=600', alice)
  await new Promise(resolve => setTimeout(resolve, 150))
  assert.equal((await getJson(d.url + '/lab/count', alice)).status, 503)
  await slow
  // Three crashes within a minute put the slot into backoff, and its next request is a 503 backoff.
  for (let i = 0; i < 3; i++) {
    await getJson(d.url + '/crashy/crash?after=1', alice)
    await new Promise(resolve => setTimeout(resolve, 300))
  }
  assert.equal((await getJson(d.url + '/crashy/count', alice)).status, 503)
  assert.equal((await scrape(metricsUrl)).value('sessiond_workers', { realm: 'crashy', kind: 'thread', state: 'backoff' }), 1, 'while it backs off')
  // The exec worker grows past maxRssMb and the watchdog kills it.
  assert.equal((await getJson(d.url + '/hog/hoard', alice)).status, 200)
  await getJson(d.url + '/hog/hoard', alice)
  for (let i = 0; i < 50; i++) {
    if ((await scrape(metricsUrl)).value('sessiond_worker_memory_kills_total', { realm: 'hog' }) === 1) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const readToken = (await runCli(['admin', 'token', 'create', 'scraper', '--data', d.dataDir])).stdout.trim()

  const after = await scrape(metricsUrl)
  const lab = { realm: 'lab', kind: 'thread' }
  assert.equal(after.value('sessiond_worker_spawns_total', lab), 1)
  assert.equal(after.count('sessiond_worker_spawn_duration_seconds', lab), 1)
  assert.equal(after.value('sessiond_workers', { ...lab, state: 'ready' }), 1)
  assert.equal(after.value('sessiond_workers_peak', { realm: 'lab' }), 1)
  assert.equal(after.count('sessiond_http_request_duration_seconds', { realm: 'lab', status_class: '2xx' }), 4, 'three counts and the slow one')
  assert.equal(after.count('sessiond_http_request_duration_seconds', { realm: 'lab', status_class: '4xx' }), 1, 'the worker\'s own 404')
  assert.equal(after.count('sessiond_http_request_duration_seconds', { realm: 'lab', status_class: '5xx' }), 1, 'the 503')
  assert.equal(after.value('sessiond_requests_rejected_total', { realm: 'lab', reason: 'queue_full' }), 1)
  assert.equal(after.value('sessiond_requests_rejected_total', { realm: 'crashy', reason: 'backoff' }), 1)
  assert.equal(after.value('sessiond_worker_crashes_total', { realm: 'crashy', kind: 'thread' }), 3)
  assert.equal(after.value('sessiond_worker_backoffs_total', { realm: 'crashy', kind: 'thread' }), 1)
  assert.equal(after.value('sessiond_worker_memory_kills_total', { realm: 'hog', kind: 'exec' }), 1)
  assert.equal(after.value('sessiond_queue_depth', { realm: 'lab' }), 0)
  assert.equal(after.value('sessiond_login_attempts_total', { result: 'success' }), 1)
  assert.equal(after.value('sessiond_login_attempts_total', { result: 'failure' }), 1)
  assert.ok(after.count('sessiond_store_operation_duration_seconds', { backend: 'sqlite', op: 'create' }) >= 1, 'the login made a session')
  assert.ok(after.count('sessiond_store_operation_duration_seconds', { backend: 'sqlite', op: 'lookup' }) >= 1, 'a worker\'s first request looks its session up')
  assert.equal(after.value('sessiond_store_lock_timeouts_total', { backend: 'sqlite' }), 0)
  for (const name of after.names().filter(n => n.startsWith('sessiond_'))) {
    for (const labels of after.labelsOf(name)) assert.ok(!('user' in labels) && !('session' in labels), `${name} carries no user or session`)
  }
  assert.ok(!after.text.includes('alice'), 'no user name anywhere')
  const documented = [...readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8').matchAll(/^\| `(sessiond_[a-z_]+)` \|/gm)].map(m => m[1]).sort()
  assert.deepEqual(after.names().filter(n => n.startsWith('sessiond_')).sort(), documented, 'docs/metrics.md lists exactly the metrics exposed')

  // The main listener serves the same to admins and tokens only.
  assert.equal((await fetch(d.url + '/_sessiond/metrics')).status, 401)
  assert.equal((await fetch(d.url + '/_sessiond/metrics', { headers: { cookie: alice } })).status, 403)
  const viaToken = await scrape(d.url + '/_sessiond/metrics', { authorization: `Bearer ${readToken}` })
  assert.equal(viaToken.value('sessiond_worker_spawns_total', lab), 1)
  const root = await d.login('root', 'root-password')
  assert.equal((await scrape(d.url + '/_sessiond/metrics', { cookie: root })).value('sessiond_login_attempts_total', { result: 'success' }), 2)
  // A scraper that asks for OpenMetrics gets it.
  const om = await fetch(metricsUrl, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
  assert.match(om.headers.get('content-type')!, /^application\/openmetrics-text/)
  assert.match(await om.text(), /^sessiond_worker_crashes_total\{realm="crashy",kind="thread"\} 3$/m)

  // log.access: a line per realm request, with its request id, realm, status, duration and worker hash.
  const access = d.output().split('\n').filter(l => l.includes('"event":"access"')).map(l => JSON.parse(l))
  const first = access.find(l => l.realm === 'lab' && l.status === 200)
  assert.ok(first, d.output().slice(-2000))
  assert.match(first.reqId, /\S/)
  assert.match(first.worker, /^[A-Za-z0-9_-]{10}$/)
  assert.equal(typeof first.ms, 'number')
  assert.ok(access.some(l => l.status === 503 && l.realm === 'lab'))
})
