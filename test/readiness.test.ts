// /healthz says the process serves; /readyz says it takes work: the store
// answers and it is neither starting nor draining.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'

test('readyz is 200 while ready, 503 once the store stops answering and while draining; healthz stays cheap', async (t) => {
  const d = await startInProcessDaemon(t, { realms: [] })
  assert.deepEqual(await (await fetch(d.url + '/healthz')).json(), { ok: true })
  const ready = await fetch(d.url + '/readyz')
  assert.equal(ready.status, 200)
  assert.deepEqual(await ready.json(), { ready: true })
  d.ops.readiness.state = 'draining'
  const draining = await fetch(d.url + '/readyz')
  assert.equal(draining.status, 503)
  assert.deepEqual(((await draining.json()) as { error: string, message: string }), { error: 'GW_ERR_NOT_READY', message: 'not ready: draining', requestId: draining.headers.get('x-request-id') })
  d.ops.readiness.state = 'ready'
  // The store closed under the daemon: its lookups fail, and readiness says so within a second.
  await d.store.close()
  await new Promise(resolve => setTimeout(resolve, 1100))
  const broken = await fetch(d.url + '/readyz')
  assert.equal(broken.status, 503)
  assert.match(((await broken.json()) as { message: string }).message, /^not ready: the session store does not answer/)
  assert.equal((await fetch(d.url + '/healthz')).status, 200)
})
