// Several hosts, for real: three supervisor hosts and two gateways, each a
// process of the real CLI in a network namespace of its own, one Redis,
// nginx in front of the gateways (docs/deploy/nginx-cluster.conf), mutual
// TLS between them from `sessiond cert --ca` (helpers/cluster.ts). The
// tests run in order on one cluster: a partition (the host comes back), a
// kill -9 (it does not), then moves between the two hosts left. Timings are printed, never asserted: the figures are `npm run
// bench`'s (bench/cluster.ts).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { Agent, request } from 'undici'
import { CALL_HEADER } from '@sessiond/supervisor'
import { ADMIN_API } from '../packages/gateway/src/admin/admin-api.ts'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import { client as browser, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { makeCert } from './helpers/cert.ts'
import { startCluster } from './helpers/cluster.ts'
import type { TestCluster } from './helpers/cluster.ts'
import { cookieSetBy } from './helpers/daemon.ts'
import { deployFile, startNginx } from './helpers/front-server.ts'
import type { FrontServer } from './helpers/front-server.ts'
import { netnsSkipReason } from './helpers/netns.ts'
import { closeSocket, openSocket, refusedWith, wsUrl } from './helpers/web-socket-client.ts'
import { suiteCleanup } from './helpers/suite-cleanup.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'
import { redisSkipReason } from '../packages/session-store/test/redis-server.ts'

const skip = netnsSkipReason() || redisSkipReason() || skipUnlessInstalled('nginx', 'nginx')

const PY_ECHO = `
import asyncio, os, websockets
async def echo(ws):
    async for message in ws:
        await ws.send('echo ' + message)
async def main():
    async with websockets.unix_serve(echo, os.environ['SESSIOND_SOCKET']):
        await asyncio.Future()
asyncio.run(main())
`

interface Count { host: string, count: number, resumedFrom: number | null, session: string }
interface Sample { at: number, done: number, ok: boolean, status: number, host?: string, count?: number, resumedFrom?: number | null, error?: string }
interface LoadSession { cookie: string, id: string, home: string, samples: Sample[] }

async function getJson (url: string, cookie?: string): Promise<{ status: number, body: Count, cookie?: string }> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} })
  return { status: res.status, body: await res.json() as Count, cookie: cookieSetBy(res) }
}

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

/** `n` anonymous sessions, each started through one of the gateways in turn, a few at a time. */
async function newSessions (gateways: string[], n: number): Promise<LoadSession[]> {
  const out: LoadSession[] = []
  for (let i = 0; i < n; i += 8) {
    out.push(...await Promise.all(Array.from({ length: Math.min(8, n - i) }, async (_, j) => {
      const res = await fetch(`${gateways[(i + j) % gateways.length]}/count/`)
      const body = await res.json() as Count
      return { cookie: cookieSetBy(res)!, id: body.session, home: body.host, samples: [{ at: 0, done: 0, ok: true, status: 200, host: body.host, count: body.count, resumedFrom: null }] }
    })))
  }
  return out
}

/**
 * Every session in a loop of requests through both gateways in turn,
 * paced so that fifty sessions load two shared cores without starving the
 * hosts, or the other test files running beside this one. Every few requests is a POST with a body, which a move must not
 * lose either. Answers a function that stops the load.
 */
function load (gateways: string[], sessions: LoadSession[], paceMs = 200): () => Promise<void> {
  let running = true
  const loops = Promise.all(sessions.map(async (s, i) => {
    for (let n = 0; running; n++) {
      const at = Date.now()
      const post = n % 4 === 3
      try {
        const res = await fetch(`${gateways[(i + n) % gateways.length]}/count/${post ? 'echo' : ''}`, post
          ? { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/octet-stream' }, body: `payload ${n}` }
          : { headers: { cookie: s.cookie } })
        const text = await res.text()
        const ok = res.status === 200 && (!post || text === `payload ${n}`)
        const body = ok && !post ? JSON.parse(text) as Count : undefined
        s.samples.push({ at, done: Date.now(), ok, status: res.status, ...(body ? { host: body.host, count: body.count, resumedFrom: body.resumedFrom } : post ? { host: res.headers.get('x-host') ?? undefined } : {}), ...(!ok && { error: text.slice(0, 200) }) })
      } catch (err) {
        s.samples.push({ at, done: Date.now(), ok: false, status: 0, error: String(err) })
      }
      await sleep(paceMs)
    }
  }))
  return async () => {
    running = false
    await loops
  }
}

describe('a cluster of three supervisor hosts and two gateways', { skip }, () => {
  const cleanup = suiteCleanup()
  let c: TestCluster
  let nginx: FrontServer
  let ca: Buffer
  let gateways: string[]
  before(async () => {
    c = await startCluster(cleanup.context, {
      auth: 'mtls',
      realms: [
        { name: 'count', mount: '/count', auth: 'anonymous', checkpoint: '500ms' },
        { name: 'notes', mount: '/notes' },
        { name: 'proc', mount: '/proc', auth: 'anonymous', kind: 'process' },
        // An exec worker's WebSocket is its own server's (Debian's python3-websockets): bytes through the wire.
        { name: 'pyws', mount: '/pyws', auth: 'anonymous', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', '-c', PY_ECHO] }
      ],
      // Longer than the default (2 s): a host starved of CPU by a loaded CI machine must not fence itself.
      lease: '3s',
      hold: '20s',
      extra: { trustProxy: ['10.0.0.0/8'] }
    })
    gateways = [...c.gateways.values()].map(g => g.url)
    const [a, b] = gateways.map(g => new URL(g).host)
    const cert = await makeCert(cleanup.context)
    ca = cert.ca
    nginx = await startNginx(cleanup.context, (listen) => deployFile('nginx-cluster.conf', {
      LISTEN: listen, SERVER_NAME: 'localhost', CERT: cert.cert, KEY: cert.key, GATEWAY_A: a, GATEWAY_B: b
    }), { tls: true })
  })
  after(() => cleanup.run())

  test('sessions spread over the hosts, and each session\'s requests reach its one worker through either gateway', async () => {
    const sessions = await newSessions(gateways, 15)
    await Promise.all(sessions.map(async (s) => {
      for (let n = 2; n <= 3; n++) {
        const next = await getJson(`${gateways[n % 2]}/count/`, s.cookie)
        assert.deepEqual([next.body.host, next.body.count], [s.home, n], 'the same worker, through either gateway')
      }
    }))
    const spread = new Set(sessions.map(s => s.home))
    // All on one host would be a chance of 3 × (1/3)^15; on two, of about 3 × (2/3)^15 = 0.7 %.
    assert.ok(spread.size >= 2, `15 sessions on ${[...spread].join(', ')}`)
  })

  test('two gateways behind nginx serve the same logged-in session, and a logout there ends its worker on whichever host holds it', async () => {
    const b = browser(nginx.url, { ca })
    const login = await jsonLogin(b, 'alice', 'alice-password')
    assert.equal(login.status, 200)
    const cookie = sessionCookie(login)!.pair
    const counts: Count[] = []
    for (let i = 0; i < 6; i++) counts.push(await (await b.fetch('/notes/', { headers: { cookie } })).json() as Count)
    assert.deepEqual(counts.map(x => x.count), [1, 2, 3, 4, 5, 6], 'nginx spreads the requests; one worker counts them all')
    const dispatcher = await c.client()
    assert.ok((await dispatcher.sessions()).includes(counts[0].session))
    const out = await b.fetch('/logout', { method: 'POST', headers: { cookie } })
    assert.ok(out.status < 400, `logout answered ${out.status}`)
    assert.equal((await b.fetch('/notes/', { headers: { cookie } })).status, 401)
    const deadline = Date.now() + 10_000
    while ((await dispatcher.sessions()).includes(counts[0].session) && Date.now() < deadline) await sleep(50)
    assert.ok(!(await dispatcher.sessions()).includes(counts[0].session), 'the session\'s end reached the host holding its worker')
  })

  test('a supervisor refuses a dispatch from anyone but a gateway of the cluster, and starts no worker for it', async () => {
    const s1 = c.supervisors.get('s1')!
    const { id } = await c.store.create('mallory', 60_000)
    const call = Buffer.from(JSON.stringify({ v: 1, k: 'dispatch', sid: id, user: 'mallory', realm: 'count', epoch: 1, url: 'http://x/', ts: Date.now(), n: randomBytes(12).toString('base64url') })).toString('base64url')
    const caPem = await readFile(join(c.dir, 'ca', 'ca.pem'))
    const send = async (connect: Record<string, unknown>) => {
      const dispatcher = new Agent({ connect: { ca: caPem, checkServerIdentity: () => undefined, ...connect } })
      try {
        const res = await request(`${s1.url}/_sessiond/v1/dispatch/count`, { headers: { [CALL_HEADER]: call }, dispatcher })
        await res.body.dump()
        return res.statusCode
      } catch (err) {
        return (err as { code?: string }).code ?? 'failed'
      } finally {
        await dispatcher.close()
      }
    }
    const noCert = await send({})
    assert.notEqual(typeof noCert === 'number' && noCert < 400, true, `without a certificate: ${noCert}`)
    // A certificate of the cluster, but a supervisor's: it cannot speak for a user.
    const peer = await send({ cert: await readFile(join(c.dir, 'certs', 's2.pem')), key: await readFile(join(c.dir, 'certs', 's2.key')) })
    assert.equal(peer, 401, 'a supervisor\'s certificate')
    // A gateway certificate from another CA: the handshake fails.
    const { cert: foreign, key: foreignKey } = await makeCert(cleanup.context)
    const stranger = await send({ cert: await readFile(foreign), key: await readFile(foreignKey) })
    assert.notEqual(stranger, 200, `a certificate of another CA: ${stranger}`)
    assert.equal(typeof stranger === 'number' && stranger < 400, false)
    // The genuine gateway's certificate gets as far as the placement check.
    const genuine = await send({ cert: await readFile(join(c.dir, 'certs', 'g1.pem')), key: await readFile(join(c.dir, 'certs', 'g1.key')) })
    assert.equal(genuine, 421)
    assert.equal(await c.directory.read(id, 'count'), null, 'nothing was placed for the refused calls')
  })

  test('a process worker reaches its session\'s data through its own host\'s supervisor, its writes fenced there', async () => {
    const first = await getJson(`${gateways[0]}/proc/`)
    const headers = { cookie: first.cookie! }
    const where = await (await fetch(`${gateways[1]}/proc/store-url`, { headers })).json() as { storeHost: string }
    assert.equal(where.storeHost, '127.0.0.1', 'its host\'s own store API, on the loopback of its namespace: never a gateway')
    assert.equal((await fetch(`${gateways[1]}/proc/write?v=from-a-process`, { method: 'POST', headers })).status, 200)
    assert.equal(await c.store.get(first.body.session, 'v'), 'from-a-process')
    assert.equal((await c.directory.read(first.body.session, 'proc'))!.epoch, 1)
  })

  test('a gateway restart loses no route: the session reaches the same worker afterwards', async () => {
    const g1 = c.gateways.get('g1')!
    const first = await getJson(`${g1.url}/count/`)
    await getJson(`${g1.url}/count/`, first.cookie)
    await g1.kill()
    const again = await c.startGateway('g1')
    const after = await getJson(`${again.url}/count/`, first.cookie)
    assert.deepEqual([after.body.host, after.body.count], [first.body.host, 3])
  })

  test('a partition leaves one writer per (session, realm): the cut-off host\'s late write is refused by its epoch, and its workers stop themselves', async () => {
    const g1 = gateways[0]
    const first = await getJson(`${g1}/count/`)
    const headers = { cookie: first.cookie! }
    const victim = first.body.host
    assert.equal((await fetch(`${g1}/count/write?v=before`, { method: 'POST', headers })).status, 200)
    const redis = new Redis(c.redis.url)
    try {
      // A write in progress on the victim when it is cut off: the test sees the request arrive, then cuts.
      const slow = fetch(`${g1}/count/write-slow?v=stale&ms=300&tag=slow`, { method: 'POST', headers }).then(r => r.status, () => 0)
      const key = await waitForArrival(redis, first.body.session, 'slow')
      await c.net.cut(victim)
      const cutAt = Date.now()
      const read = await fetch(`${g1}/count/read`, { headers })
      if (read.status !== 200) console.log(await read.text(), c.problems())
      assert.equal(read.status, 200, 'the session answers again, held at the gateway until the victim\'s lease is over')
      const moved = await read.json() as { host: string }
      assert.notEqual(moved.host, victim)
      assert.equal((await fetch(`${g1}/count/write?v=fresh`, { method: 'POST', headers })).status, 200)
      console.log(`# partition of ${victim}: its session answered from ${moved.host} ${Date.now() - cutAt} ms after the cut`)
      assert.equal(await slow, 502, 'the POST cut off on the victim is not sent again: nothing says it did not run')
      await c.net.heal(victim)
      // The victim's write, queued in its connection to Redis, arrives once the link is back: refused in its own script.
      const refusedBy = Date.now() + 30_000
      while (Date.now() < refusedBy && staleRefusals(await redis.info('errorstats')) === 0) await sleep(200)
      assert.ok(staleRefusals(await redis.info('errorstats')) > 0, 'Redis refused a write under the old epoch (errorstat_STALEEPOCH)')
      assert.equal(await redis.hget(key, 'v'), 'fresh', 'the late write changed nothing')
      assert.match(c.supervisors.get(victim)!.output(), /membership lease lost/, 'the cut-off host fenced itself')
      const dispatcher = await c.client()
      const deadline = Date.now() + 20_000
      let rejoined = (await dispatcher.hosts()).find(h => h.host === victim)
      while (!rejoined && Date.now() < deadline) {
        await sleep(200)
        rejoined = (await dispatcher.hosts()).find(h => h.host === victim)
      }
      assert.ok(rejoined, 'the host joined again once its link was back')
      assert.equal(rejoined.workers, 0, 'with none of its old workers: they stopped themselves')
    } finally {
      redis.disconnect()
    }
  })
  test('kill -9 of a supervisor under load from 50 sessions: no error elsewhere, and its sessions answer again from other hosts, resumed from their checkpoints', async () => {
    const sessions = await newSessions(gateways, 50)
    const stop = load(gateways, sessions)
    await sleep(1500)
    const counts = new Map<string, number>()
    for (const s of sessions) counts.set(s.home, (counts.get(s.home) ?? 0) + 1)
    const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
    const killedAt = Date.now()
    await c.supervisors.get(victim)!.kill()
    // Its exit seen: a request sent before this may have been in progress on it.
    const deadAt = Date.now()
    const mine = sessions.filter(s => s.home === victim)
    const deadline = killedAt + 30_000
    while (Date.now() < deadline && !mine.every(s => s.samples.some(x => x.ok && x.host !== undefined && x.host !== victim))) await sleep(100)
    await sleep(500)
    await stop()
    const failedElsewhere = sessions.filter(s => s.home !== victim).flatMap(s => s.samples.filter(x => !x.ok))
    assert.deepEqual(failedElsewhere, [], 'sessions on the other hosts saw no error')
    const failover: number[] = []
    for (const s of mine) {
      // A request in flight at the kill was held and sent on: the first answer from elsewhere may be its.
      const first = s.samples.find(x => x.ok && x.count !== undefined && x.host !== victim)
      assert.ok(first, 'the session answered again from another host')
      failover.push(first.done - killedAt)
      assert.notEqual(first.resumedFrom, null, 'resumed from a checkpoint, not started cold')
      const last = s.samples.filter(x => x.ok && x.count !== undefined && x.host === victim).at(-1)!
      assert.ok(first.resumedFrom! <= last.count!, `resumed from a checkpoint of its worker (${first.resumedFrom}; its last count there ${last.count})`)
      assert.equal(first.count, first.resumedFrom! + 1, 'and went on counting from it')
    }
    // A request in progress at the kill is sent again when it is safe to (a GET not yet answered); a POST, which may
    // have run, or an answer cut off mid-body, fails. Every request that arrived after the kill waited and went on.
    const failedMine = mine.flatMap(s => s.samples.filter(x => !x.ok))
    assert.deepEqual(failedMine.filter(x => x.at > deadAt), [], 'no request that arrived after the kill failed: each was held and sent on')
    console.log(`# kill -9 of ${victim} (${mine.length} of 50 sessions): first answer from another host ${percentile(failover, 0.5)} ms p50, ${percentile(failover, 0.99)} ms p99 after the kill; ${failedMine.length} requests in progress there failed`)
  })

  test('a WebSocket reaches its session\'s worker on its host through either gateway, and stays open across a migration made with the admin API: parked, then resumed on the new host', async () => {
    const [session] = await newSessions(gateways, 1)
    const live = (await (await c.client()).hosts()).map(h => h.host)
    const first = await openSocket(wsUrl(gateways[0], '/count/ws'), { cookie: session.cookie })
    const second = await openSocket(wsUrl(gateways[1], '/count/ws'), { cookie: session.cookie })
    try {
      first.ws.send('hit')
      const a = JSON.parse(String(await first.next())) as Count & { openedOn: string }
      assert.equal(a.host, session.home)
      assert.equal(a.openedOn, session.home)
      second.ws.send('hit')
      const b = JSON.parse(String(await second.next())) as Count
      assert.equal(b.host, session.home)
      assert.equal(b.count, a.count + 1, 'both gateways\' sockets reach the one worker')
      // The operators' view across hosts: the slot, on its host, with its two sockets.
      const dispatcher = await c.client()
      const [slot] = (await dispatcher.workers({ realm: 'count' })).filter(w => w.session === sessionHash(session.id))
      assert.equal(slot.host, session.home)
      assert.equal(slot.openSockets, 2)
      const status = await dispatcher.status()
      assert.equal(status.host, null)
      assert.ok(status.realms.find(r => r.name === 'count')!.workers.ready >= 1)
      const to = live.find(h => h !== session.home)!
      // This time through the admin API, on the first gateway's control socket (the CLI's migrate is the next test's).
      const admin = new Agent({ connect: { socketPath: join(c.dir, 'g1', 'control.sock') } })
      try {
        const hosts = await request(`http://localhost${ADMIN_API}/hosts`, { dispatcher: admin })
        assert.equal(hosts.statusCode, 200)
        assert.deepEqual(((await hosts.body.json()) as { hosts: Array<{ host: string }> }).hosts.map(h => h.host).sort(), [...live].sort())
        const migrated = await request(`http://localhost${ADMIN_API}/workers/${sessionHash(session.id)}.count/migrate?to=${to}`, { method: 'POST', dispatcher: admin })
        const answer = await migrated.body.json() as { host: string, epoch: number }
        assert.equal(migrated.statusCode, 200, JSON.stringify(answer))
        assert.equal(answer.host, to)
      } finally {
        await admin.close()
      }
      // The worker hibernated with its sockets parked at the gateways; a message wakes the session on the new host.
      first.ws.send('hit')
      const moved = JSON.parse(String(await first.next(20_000))) as Count & { openedOn: string }
      assert.equal(moved.host, to)
      assert.equal(moved.count, b.count + 1, 'the count went with the session')
      assert.equal(moved.openedOn, session.home, 'the socket kept its attachment across hosts')
      second.ws.send('hit')
      const again = JSON.parse(String(await second.next(20_000))) as Count
      assert.equal(again.host, to)
      assert.equal(again.count, moved.count + 1)
      const [after] = (await dispatcher.workers({ session: sessionHash(session.id) }))
      assert.equal(after.host, to)
      // A process worker's socket crosses the wire the same way (its channel over the child's connection, then over the gateway's).
      const proc = await openSocket(wsUrl(gateways[1], '/proc/ws'), { cookie: session.cookie })
      proc.ws.send('hit')
      const p = JSON.parse(String(await proc.next(20_000))) as Count
      assert.equal(p.count, 1)
      const [procSlot] = await dispatcher.workers({ realm: 'proc', session: sessionHash(session.id) })
      assert.ok(live.includes(procSlot.host!), `the process worker is on a live host, not ${procSlot.host}`)
      assert.equal(procSlot.kind, 'process')
      await closeSocket(proc)
      // An exec worker answers the handshake itself; the wire carries its bytes both ways.
      const py = await openSocket(wsUrl(gateways[0], '/pyws/'), { cookie: session.cookie })
      py.ws.send('hello')
      assert.equal(String(await py.next(20_000)), 'echo hello')
      const [pySlot] = await dispatcher.workers({ realm: 'pyws', session: sessionHash(session.id) })
      assert.ok(live.includes(pySlot.host!), `the exec worker is on a live host, not ${pySlot.host}`)
      assert.equal(pySlot.openSockets, 1)
      await closeSocket(py)
      // A handler that answers a handshake with an ordinary response: that response, through the wire.
      assert.equal(await refusedWith(wsUrl(gateways[1], '/count/'), { cookie: session.cookie }), 200)
    } finally {
      await closeSocket(first)
      await closeSocket(second)
    }
  })

  test('a migration and a drain under load fail no request; the moved sessions keep their state, and a drained host takes no new session', async () => {
    // The host killed before is gone: two hosts remain.
    const live = (await (await c.client()).hosts()).map(h => h.host)
    const sessions = await newSessions(gateways, 12)
    const stop = load(gateways, sessions)
    await sleep(1000)
    // One session to the other host, with the real CLI.
    const moved = sessions[0]
    const to = live.find(h => h !== moved.home)!
    const migrateAt = Date.now()
    const migrated = await c.cli(['migrate', moved.id, 'count', to])
    const migratedAt = Date.now()
    assert.equal(migrated.code, 0, migrated.output)
    assert.match(migrated.output, new RegExp(`to ${to} \\(epoch \\d+\\)`))
    await sleep(500)
    const victim = live.find(h => h !== to)!
    const drainAt = Date.now()
    const drained = await c.cli(['drain', victim, '--deadline', '30s'])
    assert.equal(drained.code, 0, drained.output)
    await sleep(1000)
    await stop()
    const failed = sessions.flatMap(s => s.samples.filter(x => !x.ok))
    assert.deepEqual(failed, [], 'no request failed')
    const after = moved.samples.filter(x => x.at > migratedAt && x.count !== undefined)[0]
    assert.equal(after.host, to)
    assert.ok(after.resumedFrom !== null, 'the migrated session resumed from the state it hibernated with')
    for (const s of sessions) {
      const counts = s.samples.map(x => x.count).filter((n): n is number => n !== undefined)
      assert.ok(counts.every((n, i) => i === 0 || n === counts[i - 1] + 1), `no count lost or repeated by a move: ${counts.join(' ')}`)
      assert.notEqual((await c.directory.read(s.id, 'count'))!.host, victim, 'nothing left on the drained host')
    }
    const hosts = await (await c.client()).hosts()
    assert.equal(hosts.find(h => h.host === victim)?.workers, 0)
    assert.equal(hosts.find(h => h.host === victim)?.draining, true)
    const fresh = await newSessions(gateways, 6)
    assert.ok(fresh.every(s => s.home !== victim), 'new sessions go to the other hosts')
    // The pause of a move: the longest wait of a moved session's requests around it.
    const pauses = sessions.filter(s => s.home === victim || s === moved).map(s => Math.max(...s.samples.filter(x => x.done > Math.min(migrateAt, drainAt)).map(x => x.done - x.at)))
    console.log(`# drain of ${victim} and a migration under load: ${failed.length} failed; longest request of a moved session ${percentile(pauses, 0.5)} ms p50, ${percentile(pauses, 0.99)} ms p99`)
  })

})

/** The session's data hash, once its `arrived` field is `tag`. */
async function waitForArrival (redis: Redis, sessionId: string, tag: string): Promise<string> {
  const key = `sessiond:{${sessionId}}:data`
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (await redis.hget(key, 'arrived') === tag) return key
    await sleep(20)
  }
  throw new Error('the slow write never arrived')
}

function staleRefusals (info: string): number {
  return Number(/errorstat_STALEEPOCH:count=(\d+)/.exec(info)?.[1] ?? 0)
}
