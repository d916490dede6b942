import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { ROOT, getJson, startDaemon } from './helpers/daemon.ts'

/** A daemon with a process realm and an exec realm, and two users logged in. */
async function twoSessions (t: TestContext) {
  const d = await startDaemon(t, {
    realms: [
      { name: 'proc', mount: '/proc', kind: 'process', handler: join(ROOT, 'packages/supervisor/test/fixtures/process-counter.ts') },
      { name: 'notes', mount: '/notes', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', join(ROOT, 'examples/python-notes/app.py')] }
    ]
  })
  return { d, alice: await d.login('alice', 'alice-password'), bob: await d.login('bob', 'bob-password') }
}

test('process and exec realms serve each session from its own process, through the real gateway', async (t) => {
  const { d, alice, bob } = await twoSessions(t)
  const a1 = await getJson(d.url + '/proc/', alice)
  const a2 = await getJson(d.url + '/proc/', alice)
  const b1 = await getJson(d.url + '/proc/', bob)
  assert.deepEqual([a1.body.count, a2.body.count, b1.body.count], [1, 2, 1])
  assert.notEqual(a1.body.pid, b1.body.pid)
  assert.equal(a1.body.pid, a2.body.pid)

  const posted = await getJson(d.url + '/notes/', alice, { method: 'POST', body: 'call mum', headers: { 'x-sessiond-user': 'root' } })
  assert.equal(posted.status, 201)
  const mine = await getJson(d.url + '/notes/', alice, { headers: { 'x-sessiond-user': 'root' } })
  assert.deepEqual([mine.body.user, mine.body.notes], ['alice', ['call mum']])
  assert.deepEqual((await getJson(d.url + '/notes/', bob)).body.notes, [])
})

test('process and exec workers reach their own session\'s data through SESSIOND_STORE_URL, and only it', async (t) => {
  const { d, alice, bob } = await twoSessions(t)
  const written = await getJson(d.url + '/proc/store', alice)
  assert.equal(written.status, 200)
  assert.ok(written.body['from-process'], 'the process worker wrote and read its session\'s data')
  // The browser sees the same data through its own cookie; bob sees none of it.
  assert.deepEqual((await getJson(d.url + '/_sessiond/store', alice)).body, written.body)
  assert.deepEqual((await getJson(d.url + '/_sessiond/store', bob)).body, {})
  // An exec worker in Python reads it with nothing but the URL it was given.
  assert.deepEqual((await getJson(d.url + '/notes/session-data', alice)).body, written.body)
  assert.deepEqual((await getJson(d.url + '/notes/session-data', bob)).body, {})
})
