import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson, startDaemon } from './helpers/daemon.ts'

test('a worker idle past its timeout is stopped and the next request starts a fresh one', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab', idleTimeout: '300ms' }] })
  const cookie = await d.login('alice', 'alice-password')
  const a = await getJson(d.url + '/lab/count', cookie)
  const b = await getJson(d.url + '/lab/count', cookie)
  assert.deepEqual([a.body.count, b.body.count], [1, 2])
  // Time itself is what is under test: let the timeout and a sweep pass.
  await sleep(300 + 300)
  const c = await getJson(d.url + '/lab/count', cookie)
  assert.equal(c.status, 200, 'the session outlives its worker')
  assert.equal(c.body.count, 1, 'a fresh worker starts from scratch')
  assert.notEqual(c.body.threadId, a.body.threadId)
})

test('a worker busy with a long request is not reaped while it works', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab', idleTimeout: '200ms' }] })
  const cookie = await d.login('alice', 'alice-password')
  const first = await getJson(d.url + '/lab/count', cookie)
  const slow = await getJson(d.url + '/lab/slow?ms=700', cookie)
  assert.equal(slow.status, 200)
  assert.equal(slow.body.count, 1, 'the same worker answered: its memory is intact')
  const after = await getJson(d.url + '/lab/count', cookie)
  assert.equal(after.body.threadId, first.body.threadId)
})
