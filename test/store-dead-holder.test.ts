// Issue 15, finding 6: a process worker killed while it holds its session's
// rw lock must not block the session's writers for the whole lease.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getJson, LAB, startDaemon } from './helpers/daemon.ts'

test('a process worker killed holding its session\'s rw lock does not block the session\'s next writer', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'p', mount: '/p', kind: 'process', handler: LAB }] })
  const cookie = await d.login('alice', 'alice-password')
  const { body } = await getJson(d.url + '/p/hold-lock', cookie)
  process.kill(body.pid as number, 'SIGKILL')
  // The next writer is the session's own browser, through the store API: it would wait out the
  // lock and get a 423 if the dead worker's lock lived on.
  const put = await fetch(d.url + '/_sessiond/store/keys/theme', { method: 'PUT', headers: { cookie, 'content-type': 'text/plain' }, body: 'dark' })
  assert.equal(put.status, 204, await put.text())
  const read = await getJson(d.url + '/_sessiond/store/keys/theme', cookie)
  assert.equal(read.status, 200)
  assert.equal(read.body, 'dark')
  // What the dead worker wrote under its lock was never committed.
  assert.equal((await getJson(d.url + '/_sessiond/store/keys/held', cookie)).status, 404)
})
