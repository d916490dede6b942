import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson, startDaemon } from './helpers/daemon.ts'

test('SIGTERM lets in-flight requests finish, then stops every worker and exits 0', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/lab/count', cookie)).status, 200)
  const inFlight = getJson(d.url + '/lab/slow?ms=800', cookie)
  // Let the slow request reach its worker before the signal.
  await sleep(200)
  d.child.kill('SIGTERM')
  const res = await inFlight
  assert.equal(res.status, 200, 'the request in flight was answered')
  assert.equal(res.body.count, 1)
  const [code] = await once(d.child, 'exit')
  assert.equal(code, 0)
  // New connections are refused once it has stopped.
  await assert.rejects(fetch(d.url + '/healthz'))
})
