// Supervisor hosts and a gateway's dispatcher in one process, on loopback,
// with a real Redis: the cluster's protocol, placement and moves. The same
// over real processes on network-namespace hosts, with kills and
// partitions: test/cluster-*.test.ts.
import { after, before, describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { request } from 'undici'
import { RedisStore } from '@sessiond/session-store'
import { redisSkipReason, startRedis } from '../../session-store/test/redis-server.ts'
import type { RedisServer } from '../../session-store/test/redis-server.ts'
import { CallSigner, CallVerifier } from '../src/cluster/cluster-auth.ts'
import type { ClusterAuth } from '../src/cluster/cluster-auth.ts'
import { ClusterDispatcher } from '../src/cluster/cluster-dispatcher.ts'
import { ClusterSupervisor } from '../src/cluster/cluster-supervisor.ts'
import { DispatchServer } from '../src/cluster/dispatch-server.ts'
import { CALL_HEADER, SIG_HEADER, WIRE_VERSION, encodeCall } from '../src/cluster/wire.ts'
import { bodyBytes, fixture, realm } from './helpers.ts'

const LEASE = 1000
const log = pino({ level: 'silent' })

describe('a cluster in one process', { skip: redisSkipReason() }, () => {
  let redis: RedisServer
  let prefixes = 0
  before(async () => { redis = await startRedis() })
  after(() => redis?.stop())

  async function cluster (t: TestContext, hostIds = ['s1', 's2', 's3']) {
    const prefix = `c${++prefixes}:`
    const auth: ClusterAuth = { mode: 'hmac', secret: randomBytes(32) }
    const realms = [realm({ handler: fixture('lifecycle.ts') })]
    const hosts = new Map<string, { sup: ClusterSupervisor, server: DispatchServer, store: RedisStore }>()
    for (const hostId of hostIds) {
      const store = await RedisStore.connect({ url: redis.url, prefix })
      const directory = await store.directory()
      const sup = new ClusterSupervisor({ realms, store, logger: log, directory, hostId, capacity: 100, leaseMs: LEASE })
      const server = await DispatchServer.listen({ dispatcher: sup, verifier: new CallVerifier(auth), host: '127.0.0.1', port: 0, logger: log })
      await sup.start(`http://127.0.0.1:${server.port}`)
      hosts.set(hostId, { sup, server, store })
      t.after(async () => {
        await server.close()
        await sup.close()
        await directory.close()
        await store.close()
      })
    }
    const gatewayStore = await RedisStore.connect({ url: redis.url, prefix })
    const directory = await gatewayStore.directory()
    const dispatcher = new ClusterDispatcher({ directory, signer: new CallSigner(auth), logger: log, holdMs: 5000, leaseMs: LEASE, requestTimeoutMs: 30_000, realms })
    await dispatcher.start()
    t.after(async () => {
      await dispatcher.close()
      await directory.close()
      await gatewayStore.close()
    })
    const get = async (sessionId: string, path = '/') => {
      const res = await dispatcher.dispatch({ identity: { sessionId, user: 'alice' }, realm: 'r', method: 'GET', url: 'http://test' + path, headers: ['host', 'test'], body: null })
      return JSON.parse(Buffer.from(await bodyBytes(res)).toString()) as { count: number, pid: number, threadId: number, startedAt: number, resumedFrom: unknown }
    }
    const hostOf = async (sessionId: string) => (await dispatcher.placement(sessionId, 'r'))!.host
    return { auth, hosts, dispatcher, store: gatewayStore, get, hostOf }
  }

  test('each session\'s requests reach its one worker, and sessions spread over the hosts', async (t) => {
    const { store, get, hostOf } = await cluster(t)
    const sessions = await Promise.all(Array.from({ length: 12 }, () => store.create('alice', 60_000)))
    for (const s of sessions) {
      assert.equal((await get(s.id)).count, 1)
      assert.equal((await get(s.id)).count, 2, 'the same worker, which kept its count')
    }
    const spread = new Set(await Promise.all(sessions.map(s => hostOf(s.id))))
    assert.ok(spread.size >= 2, `12 sessions on ${spread.size} host(s)`)
  })

  test('a migration moves a worker with its state; the gateway\'s old placement gets 421 and is read again', async (t) => {
    const { store, dispatcher, get, hostOf, hosts } = await cluster(t)
    const s = await store.create('alice', 60_000)
    await get(s.id)
    await get(s.id)
    const from = await hostOf(s.id)
    const to = [...hosts.keys()].find(h => h !== from)!
    const placed = await dispatcher.migrate(s.id, 'r', to)
    assert.equal(placed.host, to)
    assert.equal(placed.epoch, 2)
    const after = await get(s.id)
    assert.equal(after.count, 3, 'resumed from the state it hibernated with')
    assert.deepEqual(after.resumedFrom, { count: 2 })
    assert.equal(hosts.get(from)!.sup.supervisor.hasWorker(s.id, 'r'), false)
    assert.equal(hosts.get(to)!.sup.supervisor.hasWorker(s.id, 'r'), true)
  })

  test('a drain under load moves every worker and fails no request', async (t) => {
    const { store, dispatcher, get, hostOf } = await cluster(t)
    const sessions = await Promise.all(Array.from({ length: 9 }, () => store.create('alice', 60_000)))
    for (const s of sessions) await get(s.id)
    const victim = await hostOf(sessions[0].id)
    let stop = false
    const failures: unknown[] = []
    let served = 0
    const load = Promise.all(sessions.map(async (s) => {
      while (!stop) {
        try {
          await get(s.id)
          served++
        } catch (err) {
          failures.push(err)
        }
      }
    }))
    await new Promise(resolve => setTimeout(resolve, 200))
    const summary = await dispatcher.drain(victim)
    await new Promise(resolve => setTimeout(resolve, 200))
    stop = true
    await load
    assert.deepEqual(failures, [])
    assert.ok(summary.moved >= 1, JSON.stringify(summary))
    assert.equal(summary.failed, 0)
    for (const s of sessions) assert.notEqual(await hostOf(s.id), victim)
    const fresh = await store.create('alice', 60_000)
    await get(fresh.id)
    assert.notEqual(await hostOf(fresh.id), victim, 'a drained host takes no new session')
    assert.ok(served > sessions.length)
  })

  test('a supervisor refuses calls that are not signed, signed with another secret, stale, or replayed', async (t) => {
    const { auth, hosts, store } = await cluster(t, ['s1'])
    const { server } = hosts.get('s1')!
    const s = await store.create('alice', 60_000)
    const url = `http://127.0.0.1:${server.port}/_sessiond/v1/dispatch/r`
    const call = (ts = Date.now(), n = randomBytes(12).toString('base64url')) => encodeCall({ v: WIRE_VERSION, k: 'dispatch', sid: s.id, user: 'alice', realm: 'r', epoch: 1, url: 'http://test/', ts, n })
    const send = async (headers: Record<string, string>) => {
      const res = await request(url, { headers })
      await res.body.dump()
      return { status: res.statusCode, error: res.headers['x-sessiond-error'] }
    }
    const code = (h: unknown) => JSON.parse(Buffer.from(String(h), 'base64url').toString()).code
    const unsigned = await send({ [CALL_HEADER]: call() })
    assert.equal(unsigned.status, 401)
    assert.equal(code(unsigned.error), 'SUP_ERR_CLUSTER_AUTH')
    const forged = new CallSigner({ mode: 'hmac', secret: randomBytes(32) })
    const c1 = call()
    assert.equal((await send({ [CALL_HEADER]: c1, [SIG_HEADER]: forged.sign('GET', c1)! })).status, 401)
    const genuine = new CallSigner(auth)
    const old = call(Date.now() - 120_000)
    assert.equal((await send({ [CALL_HEADER]: old, [SIG_HEADER]: genuine.sign('GET', old)! })).status, 401, 'a call from two minutes ago')
    const once = call()
    const first = await send({ [CALL_HEADER]: once, [SIG_HEADER]: genuine.sign('GET', once)! })
    assert.notEqual(first.status, 401, 'the genuine call is let in (it meets the placement check)')
    assert.equal((await send({ [CALL_HEADER]: once, [SIG_HEADER]: genuine.sign('GET', once)! })).status, 401, 'the same call again')
    assert.equal((await send({ [CALL_HEADER]: once, [SIG_HEADER]: genuine.sign('POST', once)! })).status, 401, 'signed for another method')
    assert.equal(hosts.get('s1')!.sup.supervisor.hasWorker(s.id, 'r'), false, 'no refused call started a worker')
  })
})
