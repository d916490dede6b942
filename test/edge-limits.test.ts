import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson, startDaemon } from './helpers/daemon.ts'
import { answer, open, raw, trickle } from './helpers/raw-http.ts'

const host = (url: string) => new URL(url).host

test('a declared body over the realm limit is a 413 before any worker starts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-marker-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const marker = join(dir, 'started')
  const handler = join(dir, 'marker.ts')
  await writeFile(handler, `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'x')\nexport default { fetch: () => new Response('ok') }\n`)
  const d = await startDaemon(t, { realms: [{ name: 'small', mount: '/small', handler, bodyLimit: '1KiB' }] })
  const cookie = await d.login('alice', 'alice-password')
  // Headers only: the 413 must come without the body being sent at all.
  const res = await raw(d.url, `POST /small/x HTTP/1.1\r\nHost: ${host(d.url)}\r\nCookie: ${cookie}\r\nContent-Length: 1025\r\n\r\n`)
  assert.equal(res.status, 413)
  assert.match(res.text, /GW_ERR_BODY_TOO_LARGE/)
  assert.ok(res.closed, 'the connection closes instead of draining the body')
  assert.equal(existsSync(marker), false, 'no worker was started')
  const ok = await getJson(d.url + '/small/x', cookie, { method: 'POST', body: 'x'.repeat(1024) })
  assert.equal(ok.status, 200)
  assert.equal(existsSync(marker), true)
})

test('a chunked body is counted as it streams: past the limit it is a 413', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab', bodyLimit: 100_000 }] })
  const cookie = await d.login('alice', 'alice-password')
  const stream = (n: number) => new ReadableStream({
    start (c) {
      for (let left = n; left > 0; left -= 10_000) c.enqueue(new Uint8Array(Math.min(left, 10_000)).fill(97))
      c.close()
    }
  })
  const over = await fetch(d.url + '/lab/upload', { method: 'POST', headers: { cookie }, body: stream(100_001), duplex: 'half' } as RequestInit)
  assert.equal(over.status, 413)
  assert.equal((await over.json() as { error: string }).error, 'GW_ERR_BODY_TOO_LARGE')
  const at = await fetch(d.url + '/lab/upload', { method: 'POST', headers: { cookie }, body: stream(100_000), duplex: 'half' } as RequestInit)
  assert.equal(at.status, 200)
  assert.equal((await at.json() as { bytes: number }).bytes, 100_000)
})

test('the default body limit comes from limits.bodyLimit', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { bodyLimit: 10 } } })
  const cookie = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/lab/upload', cookie, { method: 'POST', body: '0123456789' })).status, 200)
  assert.equal((await getJson(d.url + '/lab/upload', cookie, { method: 'POST', body: '0123456789a' })).status, 413)
})

test('headers over limits.maxHeaderSize get 431', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { maxHeaderSize: '4KiB' } } })
  const res = await raw(d.url, `GET /healthz HTTP/1.1\r\nHost: ${host(d.url)}\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`)
  assert.equal(res.status, 431)
  const small = await raw(d.url, `GET /healthz HTTP/1.1\r\nHost: ${host(d.url)}\r\nX-Small: ${'a'.repeat(3000)}\r\nConnection: close\r\n\r\n`)
  assert.equal(small.status, 200)
})

test('ambiguous framing is a 400 and never reaches a worker', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  const h = `Host: ${host(d.url)}\r\nCookie: ${cookie}\r\n`
  const cases: Record<string, string> = {
    'Content-Length with Transfer-Encoding': `POST /lab/count HTTP/1.1\r\n${h}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'duplicate Content-Length': `POST /lab/count HTTP/1.1\r\n${h}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
    'Content-Length list': `POST /lab/count HTTP/1.1\r\n${h}Content-Length: 5, 5\r\n\r\nhello`,
    'Transfer-Encoding: xchunked': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    'Transfer-Encoding: chunked, identity': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    'Transfer-Encoding: identity, chunked': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n`,
    'Transfer-Encoding: gzip, chunked': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    'two Transfer-Encoding headers': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'space before the colon': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    'obs-fold': `POST /lab/count HTTP/1.1\r\n${h}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n`,
    'Transfer-Encoding in HTTP/1.0': `POST /lab/count HTTP/1.0\r\n${h}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'two Host headers': `GET /lab/count HTTP/1.1\r\n${h}Host: evil.example\r\n\r\n`,
    'bare LF line ends': `POST /lab/count HTTP/1.1\n${h.replaceAll('\r\n', '\n')}Content-Length: 5\n\nhello`
  }
  for (const [name, bytes] of Object.entries(cases)) {
    const res = await raw(d.url, bytes)
    assert.equal(res.status, 400, name)
  }
  const after = await getJson(d.url + '/lab/count', cookie)
  assert.equal(after.body.count, 1, 'none of them reached the worker')
  // The one plain spelling of chunked, in any case, still works.
  const ok = await raw(d.url, `POST /lab/upload HTTP/1.1\r\n${h}Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`)
  assert.equal(ok.status, 200)
  assert.match(ok.text, /"bytes":3/)
})

test('JSON with __proto__ or constructor.prototype is a 400 on the gateway\'s routes', async (t) => {
  const d = await startDaemon(t)
  for (const body of [
    '{"username":"alice","password":"alice-password","__proto__":{"admin":true}}',
    '{"username":"alice","password":"alice-password","constructor":{"prototype":{"admin":true}}}'
  ]) {
    const res = await getJson(d.url + '/login', undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal(res.status, 400, body)
    assert.equal(res.headers.getSetCookie().length, 0)
  }
})

test('realm path tricks are a 404; a canonical path reaches the worker as the router saw it', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab' }, { name: 'other', mount: '/other' }] })
  const cookie = await d.login('alice', 'alice-password')
  for (const path of [
    '/other/../lab/count', '/other/%2e%2e/lab/count', '/other/%2E%2e/lab/count', '/lab/./count', '/lab/%2e/count',
    '/lab%2fcount', '/lab/x%2f..%2fcount', '/lab//count', '//lab/count', '/lab/count%00', '/lab/a%5c..%5ccount',
    '/lab/a\\..\\count', '/%6cab/count', '/lab/%63ount', '/lab/%zz', '/lab/%'
  ]) {
    const res = await raw(d.url, `GET ${path} HTTP/1.1\r\nHost: ${host(d.url)}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`)
    assert.ok(res.status === 404 || res.status === 400, `${path}: ${res.status}`)
    assert.doesNotMatch(res.text, /"count"/, path)
  }
  const abs = await raw(d.url, `GET http://evil.example/lab/count HTTP/1.1\r\nHost: ${host(d.url)}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`)
  assert.equal(abs.status, 404, 'absolute-form is not routed')
  const seen = await getJson(d.url + '/lab/echo-headers?a=%2F..', cookie)
  assert.equal(new URL(seen.body.url).pathname, '/echo-headers')
  assert.equal(new URL(seen.body.url).search, '?a=%2F..', 'the query is not a path and passes as it is')
  const spaced = await getJson(d.url + '/lab/echo%20headers', cookie)
  assert.equal(spaced.status, 404, 'the worker answered for /echo%20headers')
  assert.equal((await getJson(d.url + '/lab/count', cookie)).body.count, 1)
})

test('a client that trickles its headers is cut off after limits.headersTimeout', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { headersTimeout: '1s' } } })
  const started = Date.now()
  const res = await trickle(d.url, 'GET /healthz HTTP/1.1\r\n', 'X-Drip: a\r\n', { timeoutMs: 8000 })
  const took = Date.now() - started
  assert.ok(res.closed, 'the server closed the connection')
  assert.ok(res.status === 408 || res.status === 0, `status ${res.status}`)
  assert.ok(took >= 900 && took < 4000, `closed after ${took} ms`)
  assert.equal((await getJson(d.url + '/healthz')).status, 200, 'the daemon still serves')
})

test('an idle keep-alive connection is closed after limits.keepAliveTimeout', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { keepAliveTimeout: '300ms' } } })
  const s = await open(d.url)
  const res = await answer(s, `GET /healthz HTTP/1.1\r\nHost: ${host(d.url)}\r\n\r\n`, { idleMs: 3000, timeoutMs: 3000 })
  assert.equal(res.status, 200)
  assert.ok(res.closed, 'closed while idle, before the 3 s the test waits')
})

test('connections past limits.maxConnections are refused; the daemon serves again when they close', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { maxConnections: 2 } } })
  const a = await open(d.url)
  const b = await open(d.url)
  await sleep(100)
  const third = await raw(d.url, `GET /healthz HTTP/1.1\r\nHost: ${host(d.url)}\r\n\r\n`, { timeoutMs: 2000 })
  assert.equal(third.status, 0)
  assert.ok(third.closed, 'the third connection is dropped')
  a.destroy()
  b.destroy()
  await sleep(100)
  assert.equal((await getJson(d.url + '/healthz')).status, 200)
})

test('the gateway\'s own pages carry security headers; realm responses keep their own', async (t) => {
  const d = await startDaemon(t)
  const page = await fetch(d.url + '/login')
  const csp = page.headers.get('content-security-policy') ?? ''
  assert.match(csp, /default-src 'none'/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.match(csp, /form-action 'self'/)
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(page.headers.get('x-frame-options'), 'SAMEORIGIN')
  assert.equal(page.headers.get('referrer-policy'), 'same-origin')
  assert.equal(page.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP')
  const cookie = await d.login('alice', 'alice-password')
  const realm = await getJson(d.url + '/lab/count', cookie)
  assert.equal(realm.headers.get('content-security-policy'), null)
})

test('what the HTTP parser refuses gets the one error shape, with a request id, and one log line', async (t) => {
  const d = await startDaemon(t, { extra: { limits: { maxHeaderSize: '4KiB' }, log: { level: 'info' } } })
  for (const [request, status, code] of [
    [`GET /healthz HTTP/1.1\r\nHost: ${host(d.url)}\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`, 431, 'GW_ERR_HEADERS_TOO_LARGE'],
    ['GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400, 'GW_ERR_BAD_REQUEST']
  ] as const) {
    const res = await raw(d.url, request)
    assert.equal(res.status, status)
    const body = JSON.parse(res.text.slice(res.text.indexOf('{'))) as { error: string, requestId: string }
    assert.equal(body.error, code)
    assert.match(body.requestId, /^[0-9a-f]{8}-/)
    assert.match(res.text, new RegExp(`x-request-id: ${body.requestId}`, 'i'))
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.match(d.output(), new RegExp(`"reqId":"${body.requestId}".*"code":"${code}"`), 'one log line carries the id')
  }
})
