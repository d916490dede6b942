import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LAB, getJson, startDaemon } from './helpers/daemon.ts'
import { freePort } from './helpers/free-port.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { runCli } from './helpers/run-cli.ts'
// The store package's own test helpers: a real redis-server and a line-protocol client.
import { redisSkipReason, startRedis } from '../packages/session-store/test/redis-server.ts'
import { lineClient } from '../packages/session-store/test/line-client.ts'

test('on a Redis store, a session\'s data is one: the HTTP API by cookie, the worker\'s ctx.store and the line protocol', { skip: redisSkipReason() }, async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const protocolPort = await freePort()
  const d = await startDaemon(t, { extra: { store: { kind: 'redis', url: redis.url, protocolListen: `127.0.0.1:${protocolPort}` } } })
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')

  const put = await fetch(`${d.url}/_sessiond/store/keys/theme`, { method: 'PUT', body: 'dark', headers: { cookie: alice } })
  assert.equal(put.status, 204)
  const got = await fetch(`${d.url}/_sessiond/store/keys/theme`, { headers: { cookie: alice } })
  assert.equal(await got.text(), 'dark')
  assert.deepEqual((await getJson(`${d.url}/lab/store?k=theme`, alice)).body, { value: 'dark', keys: ['theme'] }, 'the worker reads what HTTP wrote')
  assert.equal((await fetch(`${d.url}/_sessiond/store/keys/theme`, { headers: { cookie: bob } })).status, 404, 'bob never sees alice\'s data')
  assert.deepEqual(await (await fetch(`${d.url}/_sessiond/store`, { headers: { cookie: bob } })).json(), {})
  assert.equal((await fetch(`${d.url}/_sessiond/store`)).status, 401)

  const c = await lineClient(protocolPort)
  t.after(() => { c.socket.destroy() })
  const id = (await c.send('new')).slice(3)
  assert.match(id, /^[0-9a-f]{64}$/)
  assert.equal(await c.send('put foo bar'), 'ok')
  assert.equal(await c.send('close'), 'ok')
  assert.equal(await c.send(`open ${id} r`), 'ok')
  assert.equal(await c.send('keys'), 'ok foo')
})

test('a Redis that cannot be reached at start stops the daemon with a clear error', { skip: redisSkipReason() }, async (t) => {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-redis-down-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'sessiond.json')
  await writeFile(file, JSON.stringify({ log: { level: 'warn' }, store: { kind: 'sqlite' } }))
  const { code, stdout, stderr } = await runCli(['start', '--config', file, '--listen', '127.0.0.1:0', '--data', join(dir, 'data')], {
    env: { SESSIOND_STORE_URL: `redis://:hunter2@127.0.0.1:${port}` }
  })
  assert.notEqual(code, 0)
  assert.doesNotMatch(stdout, /listening/)
  assert.match(stderr, new RegExp(`cannot reach the session store at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`))
  assert.doesNotMatch(stderr, /hunter2/)
})

test('destroy and regenerate_id over the line protocol stop the session\'s workers', async (t) => {
  const d = await startInProcessDaemon(t, { log: { level: 'silent' }, store: { kind: 'memory', protocolListen: '0' }, realms: [{ name: 'lab', mount: '/lab', handler: LAB }] })
  const port = d.lineProtocol?.address.port as number
  const c = await lineClient(port)
  t.after(() => { c.socket.destroy() })

  const spawnWorker = async (id: string) => {
    const res = await d.supervisor.dispatch({ identity: { sessionId: id, user: 'alice' }, realm: 'lab', method: 'GET', url: 'http://x/count', headers: [], body: null })
    if (res.body && !(res.body instanceof Uint8Array)) for await (const _ of res.body) { /* drain */ }
    assert.equal(d.supervisor.hasWorker(id, 'lab'), true)
  }
  const a = await d.store.create('alice', 60_000)
  await spawnWorker(a.id)
  assert.equal(await c.send(`open ${a.id} r`), 'ok')
  assert.equal(await c.send('destroy'), 'ok')
  assert.equal(d.supervisor.hasWorker(a.id, 'lab'), false)

  const b = await d.store.create('alice', 60_000)
  await spawnWorker(b.id)
  assert.equal(await c.send(`open ${b.id} rw`), 'ok')
  assert.match(await c.send('regenerate_id'), /^ok [0-9a-f]{64}$/)
  assert.equal(d.supervisor.hasWorker(b.id, 'lab'), false, 'the old id serves nothing any more')
})
