import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Agent, fetch as undiciFetch } from 'undici'
import { makeCert } from './helpers/cert.ts'
import { login } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { openSocket, refusedWith, wsUrl } from './helpers/web-socket-client.ts'

// WebSockets to SDK workers through the real gateway on loopback, real
// threads and processes: the gateway terminates the client's socket and
// relays messages over the worker's transport.

const LIVE = fileURLToPath(new URL('./fixtures/live.ts', import.meta.url))

async function daemon (t: TestContext, realm: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    users: { demo: 'alice' },
    realms: [{ name: 'live', mount: '/live', handler: LIVE, kind: 'thread', ...realm }],
    ...extra
  })
  const cookie = await login(d.url, 'alice', d.demo!.password!)
  return { d, cookie, url: wsUrl(d.url, '/live/socket') }
}

async function eventually (cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) assert.fail(what)
    await sleep(20)
  }
}

test('a thread worker takes a WebSocket through the gateway: text and binary both ways, its session\'s user, the subprotocol it chose', async (t) => {
  const { d, cookie, url } = await daemon(t)
  const s = await openSocket(url, { cookie }, ['chat.v1', 'chat.v0'])
  assert.equal(s.ws.protocol, 'chat.v1')
  s.ws.send('hello')
  assert.equal(await s.next(), 'echo:hello')
  s.ws.send(Buffer.from([1, 2, 3]))
  assert.deepEqual(await s.next(), Buffer.from([3, 2, 1]))
  s.ws.send('whoami')
  assert.equal(JSON.parse(String(await s.next())).user, 'alice')
  const plain = await fetch(d.url + '/live/socket', { headers: { cookie } })
  assert.deepEqual(await plain.json(), { plain: true, user: 'alice' }, 'a plain GET on the same path is an ordinary request')
  s.ws.close(4000, 'bye')
  assert.deepEqual(await s.closed, { code: 4000, reason: 'bye' })
})

test('a handshake passes the realm\'s rules: refused by the worker is its answer; from another site 403; without a session 401', async (t) => {
  const { d, cookie, url } = await daemon(t)
  assert.equal(await refusedWith(wsUrl(d.url, '/live/refuse'), { cookie }), 403)
  assert.equal(await refusedWith(url, { cookie, origin: 'https://evil.example' }), 403, 'cross-site WebSocket hijacking')
  const same = await openSocket(url, { cookie, origin: d.url })
  same.ws.close()
  assert.equal(await refusedWith(url), 401)
  assert.equal(await refusedWith(wsUrl(d.url, '/nowhere'), { cookie }), 404)
})

for (const kind of ['thread', 'process', 'context']) {
  test(`${kind}: an idle worker hibernates with its socket open, pings are no activity, and the next message resumes it with the socket's attachment`, async (t) => {
    const { d, cookie, url } = await daemon(t, { kind, idleTimeout: '10m', socketIdleTimeout: '600ms' })
    const s = await openSocket(url, { cookie })
    s.ws.send('attach:kept across hibernation')
    s.ws.send('whoami')
    const before = JSON.parse(String(await s.next()))
    assert.equal(before.resumedFrom, null)
    // A background tab's pings keep the connection alive, not the worker.
    const pinger = setInterval(() => s.ws.ping(), 100)
    t.after(() => clearInterval(pinger))
    await eventually(() => d.supervisor.stats().workers === 0, 'the worker hibernated while its socket stayed open')
    assert.equal(d.supervisor.stats().reaped, 1)
    assert.equal(s.ws.readyState, s.ws.OPEN)
    assert.equal(d.app.webSockets.size, 1)
    clearInterval(pinger)
    s.ws.send('whoami')
    const after = JSON.parse(String(await s.next()))
    assert.deepEqual(after.resumedFrom, { received: 2 }, 'the worker resumed from what it hibernated with')
    assert.equal(after.sockets, 1, 'the parked socket is the resumed worker\'s again')
    s.ws.send('attachment')
    assert.deepEqual(JSON.parse(String(await s.next())), { note: 'kept across hibernation' })
    s.ws.send('ping-pong')
    assert.equal(await s.next(), 'echo:ping-pong')
  })
}

test('every parked socket of the session goes to the resumed worker: a broadcast reaches the one that did not wake it', async (t) => {
  const { d, cookie, url } = await daemon(t, { socketIdleTimeout: '400ms' })
  const a = await openSocket(url, { cookie })
  const b = await openSocket(url, { cookie })
  await eventually(() => d.supervisor.stats().workers === 0 && d.supervisor.stats().reaped === 1, 'hibernated')
  a.ws.send('broadcast:hi')
  assert.equal(await a.next(), 'all:hi')
  assert.equal(await b.next(), 'all:hi')
})

test('limits: a message over maxMessage closes with 1009; sockets past maxPerSession get 429; a flood past sendBuffer to a client that does not read closes with 1013', async (t) => {
  const { cookie, url } = await daemon(t, { webSocket: { maxMessage: '1KiB', maxPerSession: 2, sendBuffer: '2MiB' } })
  const big = await openSocket(url, { cookie })
  big.ws.send('x'.repeat(2048))
  assert.equal((await big.closed).code, 1009)
  const one = await openSocket(url, { cookie })
  const two = await openSocket(url, { cookie })
  assert.equal(await refusedWith(url, { cookie }), 429)
  two.ws.close()
  await two.closed
  // The client stops reading; the worker ignores backpressure.
  one.ws.pause()
  one.ws.send('flood:200')
  await sleep(500)
  one.ws.resume()
  const { code } = await one.closed
  assert.equal(code, 1013)
})

test('backpressure: a worker that stops reading holds the client back instead of buffering what it sends', async (t) => {
  const { d, cookie, url } = await daemon(t, { webSocket: { maxMessage: '1MiB' } })
  const s = await openSocket(url, { cookie })
  s.ws.send('block:1500')
  const chunk = 'y'.repeat(256 * 1024)
  for (let i = 0; i < 160; i++) s.ws.send(chunk)
  await sleep(700)
  // 40 MiB sent; the gateway took about its window and the sockets' buffers of it.
  assert.ok(s.ws.bufferedAmount > 20 * 1024 * 1024, `the client holds what the gateway would not take (${s.ws.bufferedAmount} bytes)`)
  s.ws.send('whoami')
  let last: string | Buffer = ''
  while (!String(last).startsWith('{')) last = await s.next(20_000)
  assert.equal(JSON.parse(String(last)).received, 162, 'every message arrived once the worker read again')
  assert.equal(d.app.webSockets.size, 1)
})

test('logout closes the session\'s sockets with 1008, live and parked; shutdown closes the rest with 1001', async (t) => {
  const { d, cookie, url } = await daemon(t, { socketIdleTimeout: '400ms' })
  const parked = await openSocket(url, { cookie })
  await eventually(() => d.supervisor.stats().workers === 0, 'hibernated')
  const live = await openSocket(url, { cookie })
  const other = await login(d.url, 'alice', d.demo!.password!)
  const survivor = await openSocket(url, { cookie: other })
  const out = await fetch(d.url + '/logout', { method: 'POST', headers: { cookie } })
  assert.equal(out.status, 200)
  assert.equal((await live.closed).code, 1008)
  assert.equal((await parked.closed).code, 1008)
  assert.equal(survivor.ws.readyState, survivor.ws.OPEN, 'another session\'s socket stays')
  await d.close()
  assert.equal((await survivor.closed).code, 1001)
})

test('over the gateway\'s own TLS listener (HTTP/2 by ALPN, HTTP/1.1 for the rest): wss:// reaches the worker', async (t) => {
  const { cert, key, ca } = await makeCert(t)
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    users: { demo: 'alice' },
    tls: { cert, key },
    realms: [{ name: 'live', mount: '/live', handler: LIVE, kind: 'thread' }]
  })
  const res = await undiciFetch(d.url + '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: d.demo!.password }),
    dispatcher: new Agent({ connect: { ca } })
  })
  const cookie = res.headers.getSetCookie()[0].split(';')[0]
  const s = await openSocket(wsUrl(d.url, '/live/socket'), { cookie, origin: d.url }, [], { ca })
  s.ws.send('secure')
  assert.equal(await s.next(), 'echo:secure')
  s.ws.close()
})

test('frameworks unchanged: Hono\'s upgradeWebSocket, and an Express app with ws given as its http.Server to fromNodeListener', async (t) => {
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    users: { demo: 'alice' },
    realms: [
      { name: 'hono', mount: '/hono', handler: fileURLToPath(new URL('./fixtures/hono-live.ts', import.meta.url)), kind: 'thread' },
      { name: 'express', mount: '/express', handler: fileURLToPath(new URL('./fixtures/express-live.ts', import.meta.url)), kind: 'process', socketIdleTimeout: '500ms' }
    ]
  })
  const cookie = await login(d.url, 'alice', d.demo!.password!)
  const hono = await openSocket(wsUrl(d.url, '/hono/ws?name=alice'), { cookie })
  assert.equal(await hono.next(), 'hello alice', 'onOpen')
  hono.ws.send('hi')
  assert.equal(await hono.next(), 'hono:hi', 'onMessage')
  assert.equal(await (await fetch(d.url + '/hono/', { headers: { cookie } })).text(), 'a Hono realm')

  const ex = await openSocket(wsUrl(d.url, '/express/'), { cookie })
  assert.equal(await ex.next(), 'hi alice', 'the app sees X-Sessiond-User')
  ex.ws.send('hi')
  assert.equal(await ex.next(), 'express:hi')
  // The worker hibernates; the socket stays, and the app gets a connection of its own again on the next message.
  await eventually(() => d.supervisor.stats().reaped >= 1, 'the express worker hibernated')
  ex.ws.send('after')
  assert.equal(await ex.next(), 'hi alice')
  assert.equal(await ex.next(), 'express:after')
})
