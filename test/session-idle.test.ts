import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { cookieSetBy, getJson, startDaemon } from './helpers/daemon.ts'

test('a session idle past session.idleTimeout is over; one in use is kept alive by its re-issued cookie', async (t) => {
  // Generous steps: a busy machine must not make a used session look idle.
  const d = await startDaemon(t, { extra: { session: { idleTimeout: '3s' } } })
  const idle = await d.login('alice', 'alice-password')
  let busy = await d.login('bob', 'bob-password')
  const first = busy
  assert.equal((await getJson(d.url + '/lab/count', busy)).status, 200, 'the worker is up before the clock matters')
  for (let i = 0; i < 5; i++) {
    await sleep(900)
    const res = await getJson(d.url + '/lab/count', busy)
    assert.equal(res.status, 200, `request ${i} after ${(i + 1) * 900} ms`)
    busy = cookieSetBy(res) ?? busy
  }
  assert.notEqual(busy, first, 'the cookie was re-issued along the way')
  assert.equal((await getJson(d.url + '/lab/count', idle)).status, 401, 'the idle session is over')
  assert.equal((await getJson(d.url + '/lab/count', first)).status, 401, 'an old copy of a busy session\'s cookie is over too')
})
