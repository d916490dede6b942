import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { LAB, cookieSetBy, getJson, startDaemon } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'

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

test('session.idleTimeout reaches the store: an idle session ends there with its workers; one in use is kept alive by batched touches', async (t) => {
  // Wide margins (visits 0.5 s apart against a 3 s timeout): a loaded machine's timers run late.
  const d = await startInProcessDaemon(t, { session: { idleTimeout: '3s' }, realms: [{ name: 'lab', mount: '/lab', handler: LAB, auth: 'anonymous' }] })
  const visit = async (cookie?: string) => {
    const res = await fetch(d.url + '/lab/count', { headers: cookie ? { cookie } : {} })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
    return cookieSetBy(res) ?? cookie!
  }
  await visit()
  const [idle] = await d.supervisor.sessions()
  let busy = await visit()
  const busyId = (await d.supervisor.sessions()).find(id => id !== idle)!
  for (let i = 0; i < 8; i++) {
    await sleep(500)
    busy = await visit(busy)
  }
  // 4 s after its only request: past the idle timeout in the store, which the hot path never asked.
  assert.equal(await d.store.lookup(idle), null)
  assert.equal((await d.store.lookup(busyId))?.id, busyId)
  assert.ok(await d.store.gc() >= 1)
  const deadline = Date.now() + 5_000
  while (d.supervisor.hasWorker(idle, 'lab') && Date.now() < deadline) await sleep(20)
  assert.equal(d.supervisor.hasWorker(idle, 'lab'), false, 'the session end stopped its worker')
  assert.equal(d.supervisor.hasWorker(busyId, 'lab'), true)
})
