import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ROOT, getJson, login, startDaemon } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { redisSkipReason, startRedis } from '../packages/session-store/test/redis-server.ts'
import { lineClient } from '../packages/session-store/test/line-client.ts'
import type { Daemon } from '@sessiond/gateway'

// Hibernated worker state lives in the store's worker-state namespace:
// nothing a browser, a worker or a line-protocol client can reach shows it
// or writes it (issue 15, finding 3: the counter once resumed at 1,000,000).

const COUNTER = join(ROOT, 'examples/counter/handler.ts')
const SPY = join(ROOT, 'test/fixtures/exec-store-url.ts')

function realms (idleTimeout: string) {
  return [
    { name: 'counter', mount: '/counter', handler: COUNTER, kind: 'thread', idleTimeout },
    { name: 'lab', mount: '/lab', handler: join(ROOT, 'test/fixtures/lab.ts'), kind: 'thread' },
    // Another realm's untrusted exec worker of the same session, with that session's store token.
    { name: 'spy', mount: '/spy', kind: 'exec', handler: undefined, command: [process.execPath, SPY] }
  ]
}

async function until (check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

async function visit (d: Daemon, cookie: string): Promise<{ count: number, sessionId: string }> {
  const { body } = await getJson(d.url + '/counter/', cookie)
  const spy = await getJson(d.url + '/spy/', cookie)
  const token = decodeURIComponent(new URL(spy.body.storeUrl).password)
  return { count: body.count, sessionId: token.slice(0, token.indexOf('.')) }
}

async function inProcess (t: TestContext, store: Record<string, unknown>) {
  const d = await startInProcessDaemon(t, { users: { demo: 'alice' }, store, realms: realms('300ms') })
  return { d, cookie: await login(d.url, 'alice', d.demo!.password!) }
}

test('hibernated state never shows among the session\'s keys, and no cookie, store token or line-protocol client can forge it', async (t) => {
  const { d, cookie } = await inProcess(t, { kind: 'sqlite', protocolListen: '0' })
  await visit(d, cookie)
  const { count, sessionId } = await visit(d, cookie)
  assert.equal(count, 2)
  await until(() => !d.supervisor.hasWorker(sessionId, 'counter'), 'the counter worker hibernated')
  // The supervisor saves after the stop: wait for the saved state, read the way only the supervisor reads it.
  let saved: string | undefined
  await until(async () => (saved = await d.store.loadWorkerState(sessionId, 'counter')) !== undefined, 'the state was saved')
  assert.equal((JSON.parse(saved!) as { count: number }).count, 2, 'the counter hibernated its count')

  assert.deepEqual((await getJson(d.url + '/_sessiond/store', cookie)).body, {}, 'not in the HTTP API')
  assert.deepEqual((await getJson(d.url + '/lab/store?k=x', cookie)).body.keys, [], 'not in a worker\'s ctx.store')
  const c = await lineClient(d.lineProtocol!.address.port)
  t.after(() => { c.socket.destroy() })
  assert.equal(await c.send(`open ${sessionId} r`), 'ok')
  assert.equal(await c.send('keys'), 'ok', 'not in the line protocol')

  // The forgeries of finding 3, each under the name the state once had.
  const forged = (n: number) => JSON.stringify({ count: n })
  const key = encodeURIComponent('sessiond:hibernated:counter')
  const byCookie = await fetch(`${d.url}/_sessiond/store/keys/${key}`, { method: 'PUT', headers: { cookie }, body: forged(1_000_000) })
  assert.equal(byCookie.status, 204)
  const { storeUrl } = (await getJson(d.url + '/spy/', cookie)).body
  const token = decodeURIComponent(new URL(storeUrl).password)
  const base = `${d.url}/_sessiond/store`
  const byToken = await fetch(`${base}/keys/${key}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: forged(2_000_000) })
  assert.equal(byToken.status, 204)
  const all = await fetch(base, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ 'sessiond:hibernated:counter': forged(3_000_000), 's:counter': forged(4_000_000) }) })
  assert.equal(all.status, 204)
  assert.equal(await c.send(`open ${sessionId} rw`), 'ok')
  assert.equal(await c.send(`put sessiond:hibernated:counter ${forged(5_000_000)}`), 'ok')
  assert.equal(await c.send('close'), 'ok')

  assert.equal((await visit(d, cookie)).count, 3, 'the counter resumed from its own state')
  assert.equal(await d.store.loadWorkerState(sessionId, 'counter'), undefined, 'the state was consumed')
})

test('hibernated state survives a daemon restart on SQLite', async (t) => {
  const first = await startDaemon(t, { realms: realms('15m') })
  const cookie = await first.login('alice', 'alice-password')
  await getJson(first.url + '/counter/', cookie)
  assert.equal((await getJson(first.url + '/counter/', cookie)).body.count, 2)
  // SIGTERM: the shutdown hibernates every worker before the store closes.
  assert.equal(await first.stop(), 0)

  const second = await startDaemon(t, { realms: realms('15m'), dataDir: first.dataDir })
  assert.equal((await getJson(second.url + '/counter/', cookie)).body.count, 3)
  assert.deepEqual((await getJson(second.url + '/_sessiond/store', cookie)).body, {})
})

test('on Redis, an idle stop and resume keep the count and the state stays out of the session\'s keys', { skip: redisSkipReason() }, async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const { d, cookie } = await inProcess(t, { kind: 'redis', url: redis.url })
  await visit(d, cookie)
  const { count, sessionId } = await visit(d, cookie)
  assert.equal(count, 2)
  await until(() => !d.supervisor.hasWorker(sessionId, 'counter'), 'the counter worker hibernated')
  assert.equal((await visit(d, cookie)).count, 3)
  assert.deepEqual((await getJson(d.url + '/_sessiond/store', cookie)).body, {})
})
