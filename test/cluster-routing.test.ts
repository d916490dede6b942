// Three supervisor hosts and two gateways, each in a network namespace of
// its own, one Redis, nginx in front of the gateways (docs/deploy/
// nginx-cluster.conf): where sessions go and that they stay there.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { CALL_HEADER, CallSigner, SIG_HEADER } from '@sessiond/supervisor'
import { client as browser, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { makeCert } from './helpers/cert.ts'
import { startCluster } from './helpers/cluster.ts'
import type { TestCluster } from './helpers/cluster.ts'
import { cookieSetBy } from './helpers/daemon.ts'
import { deployFile, startNginx } from './helpers/front-server.ts'
import type { FrontServer } from './helpers/front-server.ts'
import { netnsSkipReason } from './helpers/netns.ts'
import { suiteCleanup } from './helpers/suite-cleanup.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'
import { redisSkipReason } from '../packages/session-store/test/redis-server.ts'

const skip = netnsSkipReason() || redisSkipReason() || skipUnlessInstalled('nginx', 'nginx')

interface Count { host: string, count: number, resumedFrom: number | null }

async function getJson (url: string, cookie?: string): Promise<{ status: number, body: Count, cookie?: string }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} })
  return { status: res.status, body: await res.json() as Count, cookie: cookieSetBy(res) }
}

describe('a cluster of three supervisor hosts and two gateways', { skip }, () => {
  const cleanup = suiteCleanup()
  let c: TestCluster
  let nginx: FrontServer
  let ca: Buffer
  before(async () => {
    c = await startCluster(cleanup.context, {
      realms: [{ name: 'count', mount: '/count', auth: 'anonymous' }, { name: 'notes', mount: '/notes' }],
      extra: { trustProxy: ['10.0.0.0/8'] }
    })
    const [a, b] = [...c.gateways.values()].map(g => new URL(g.url).host)
    const cert = await makeCert(cleanup.context)
    ca = cert.ca
    nginx = await startNginx(cleanup.context, (listen) => deployFile('nginx-cluster.conf', {
      LISTEN: listen, SERVER_NAME: 'localhost', CERT: cert.cert, KEY: cert.key, GATEWAY_A: a, GATEWAY_B: b
    }), { tls: true })
  })
  after(() => cleanup.run())

  test('sessions spread over the hosts, and each session\'s requests reach its one worker through either gateway', async () => {
    const [g1, g2] = [...c.gateways.values()]
    const hosts = new Set<string>()
    for (let i = 0; i < 24; i++) {
      const first = await getJson(`${g1.url}/count/`)
      assert.equal(first.status, 200)
      assert.equal(first.body.count, 1)
      const cookie = first.cookie!
      for (let n = 2; n <= 4; n++) {
        const next = await getJson(`${(n % 2 ? g1 : g2).url}/count/`, cookie)
        assert.deepEqual([next.body.host, next.body.count], [first.body.host, n], 'the same worker, through either gateway')
      }
      hosts.add(first.body.host)
    }
    assert.deepEqual([...hosts].sort(), ['s1', 's2', 's3'], '24 sessions over all three hosts')
  })

  test('two gateways behind nginx serve the same logged-in sessions, and a logout there ends the worker on whichever host holds it', async () => {
    const b = browser(nginx.url, { ca })
    const login = await jsonLogin(b, 'alice', 'alice-password')
    assert.equal(login.status, 200)
    const cookie = sessionCookie(login)!.pair
    const counts: Count[] = []
    for (let i = 0; i < 6; i++) counts.push(await (await b.fetch('/notes/', { headers: { cookie } })).json() as Count)
    assert.deepEqual(counts.map(x => x.count), [1, 2, 3, 4, 5, 6], 'nginx spreads the requests; one worker counts them all')
    assert.equal(new Set(counts.map(x => x.host)).size, 1)
    const dispatcher = await c.client()
    const sid = (await dispatcher.sessions())
    assert.equal(sid.length >= 1, true)
    const out = await b.fetch('/logout', { method: 'POST', headers: { cookie } })
    assert.ok(out.status < 400, `logout ${out.status}`)
    assert.equal((await b.fetch('/notes/', { headers: { cookie } })).status, 401)
    // The store's end reached the host holding the worker.
    const deadline = Date.now() + 5000
    let left = await dispatcher.sessions()
    while (left.length >= sid.length && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
      left = await dispatcher.sessions()
    }
    assert.ok(left.length < sid.length, 'the logged-out session has no worker on any host')
  })

  test('a supervisor refuses a dispatch that is unsigned, forged or replayed, and starts no worker for it', async () => {
    const [s1] = [...c.supervisors.values()]
    const { id } = await c.store.create('mallory', 60_000)
    const call = () => Buffer.from(JSON.stringify({ v: 1, k: 'dispatch', sid: id, user: 'mallory', realm: 'count', epoch: 1, url: 'http://x/', ts: Date.now(), n: randomBytes(12).toString('base64url') })).toString('base64url')
    const send = async (headers: Record<string, string>) => {
      const res = await request(`${s1.url}/_sessiond/v1/dispatch/count`, { headers })
      await res.body.dump()
      return res.statusCode
    }
    assert.equal(await send({}), 400, 'no call at all')
    assert.equal(await send({ [CALL_HEADER]: call() }), 401, 'unsigned')
    const forger = new CallSigner({ mode: 'hmac', secret: randomBytes(48) })
    const forged = call()
    assert.equal(await send({ [CALL_HEADER]: forged, [SIG_HEADER]: forger.sign('GET', forged)! }), 401, 'signed with another secret')
    const secret = (await readFile(join(c.dir, 'cluster.secret'), 'utf8')).split('\n', 1)[0]
    const genuine = new CallSigner({ mode: 'hmac', secret: Buffer.from(secret) })
    const once = call()
    assert.equal(await send({ [CALL_HEADER]: once, [SIG_HEADER]: genuine.sign('GET', once)! }), 421, 'a genuine call gets as far as the placement check')
    assert.equal(await send({ [CALL_HEADER]: once, [SIG_HEADER]: genuine.sign('GET', once)! }), 401, 'the same call replayed')
    const drain = Buffer.from(JSON.stringify({ v: 1, k: 'control', op: 'drain', args: ['s1'], ts: Date.now(), n: randomBytes(12).toString('base64url') })).toString('base64url')
    const res = await request(`${s1.url}/_sessiond/v1/control/drain`, { method: 'POST', headers: { [CALL_HEADER]: drain } })
    await res.body.dump()
    assert.equal(res.statusCode, 401, 'an unsigned drain')
    assert.equal((await c.client().then(d => d.hosts())).find(h => h.host === 's1')?.draining, false)
    assert.equal(await c.directory.read(id, 'count'), null, 'nothing was placed for it')
  })

  test('a gateway restart loses no route: the session reaches the same worker afterwards', async () => {
    const g1 = c.gateways.get('g1')!
    const first = await getJson(`${g1.url}/count/`)
    const cookie = first.cookie!
    await getJson(`${g1.url}/count/`, cookie)
    await g1.kill()
    const again = await c.startGateway('g1')
    const after = await getJson(`${again.url}/count/`, cookie)
    assert.deepEqual([after.body.host, after.body.count], [first.body.host, 3])
  })
})
