import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getJson, startDaemon } from './helpers/daemon.ts'

test('a handler that throws gets the client a 500 with the request id; the worker and other sessions go on', async (t) => {
  const d = await startDaemon(t)
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1)
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 1)

  const boom = await getJson(d.url + '/lab/boom', alice)
  assert.equal(boom.status, 500)
  assert.equal(boom.body.error, 'SDK_ERR_HANDLER')
  assert.ok(boom.body.requestId)
  assert.equal(boom.headers.get('x-request-id'), boom.body.requestId)
  assert.doesNotMatch(JSON.stringify(boom.body), /kaboom|secret/, 'internals stay in the log')
  assert.ok(JSON.stringify(boom.body).length < 200, 'a short body')

  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 2, 'same worker, state intact')
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 2)
  // The daemon logged it once, with the request id.
  const lines = d.output().split('\n').filter(l => l.includes(boom.body.requestId))
  assert.ok(lines.length >= 1, 'a log line names the request id')
})

test('a worker that crashes answers 502 and the next request starts a new worker; others are untouched', async (t) => {
  const d = await startDaemon(t)
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  const before = await getJson(d.url + '/lab/count', alice)
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 1)
  // The crash lands 300 ms after its answer; a request in flight then gets 502.
  const crash = await getJson(d.url + '/lab/crash?after=300', alice)
  assert.equal(crash.status, 200)
  const during = await getJson(d.url + '/lab/slow?ms=2000', alice)
  assert.equal(during.status, 502)
  assert.equal(during.body.error, 'SUP_ERR_WORKER_EXITED')
  const after = await getJson(d.url + '/lab/count', alice)
  assert.equal(after.status, 200)
  assert.equal(after.body.count, 1, 'a new worker')
  assert.notEqual(after.body.threadId, before.body.threadId)
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 2, 'bob\'s worker never noticed')
})

test('a handler module that fails to load answers 502 and the daemon keeps serving', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-bad-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const bad = join(dir, 'bad.ts')
  await writeFile(bad, 'export default { nope: true }\n')
  const d = await startDaemon(t, { realms: [{ name: 'bad', mount: '/bad', handler: bad }, { name: 'lab', mount: '/lab' }] })
  const alice = await d.login('alice', 'alice-password')
  const res = await getJson(d.url + '/bad/x', alice)
  assert.equal(res.status, 502)
  assert.equal(res.body.error, 'SUP_ERR_WORKER_START')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1)
})

test('a worker that keeps crashing gets its session 503 with Retry-After while it backs off', async (t) => {
  const d = await startDaemon(t)
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  for (let i = 0; i < 3; i++) {
    await getJson(d.url + '/lab/crash?after=0', alice)
    // The crash lands right after the answer; wait for the worker to be gone.
    for (let k = 0; k < 50; k++) {
      const r = await getJson(d.url + '/lab/slow?ms=50', alice)
      if (r.status !== 200) break
    }
  }
  const res = await getJson(d.url + '/lab/count', alice)
  assert.equal(res.status, 503)
  assert.equal(res.body.error, 'SUP_ERR_WORKER_BACKOFF')
  assert.ok(Number(res.headers.get('retry-after')) >= 1)
  assert.equal((await getJson(d.url + '/lab/count', bob)).body.count, 1, 'other sessions are untouched')
})

test('a backoff is logged once when it starts, not once per request it turns away', async (t) => {
  // Issue 15, finding 10: every backoff 503 used to be an error line with a stack trace (2.3 KB a request).
  const d = await startDaemon(t, { extra: { log: { level: 'info' } } })
  const alice = await d.login('alice', 'alice-password')
  for (let i = 0; i < 3; i++) {
    await getJson(d.url + '/lab/crash?after=0', alice)
    for (let k = 0; k < 50; k++) {
      if ((await getJson(d.url + '/lab/slow?ms=50', alice)).status !== 200) break
    }
  }
  const before = d.output().length
  for (let i = 0; i < 40; i++) assert.equal((await getJson(d.url + '/lab/count', alice)).status, 503)
  const during = d.output().slice(before)
  assert.equal(during.split('\n').filter(l => l.includes('SUP_ERR_WORKER_BACKOFF')).length, 0, 'no line per refused request')
  assert.equal(d.output().split('\n').filter(l => l.includes('worker keeps crashing')).length, 1, 'one line when the backoff began')
})
