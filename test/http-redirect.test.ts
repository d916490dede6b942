import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { Agent, fetch } from 'undici'
import { makeCert } from './helpers/cert.ts'
import { LAB } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { raw } from './helpers/raw-http.ts'

async function daemonWithRedirect (t: TestContext, httpRedirect: Record<string, unknown>) {
  const { cert, key, ca } = await makeCert(t)
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    store: { kind: 'memory' },
    tls: { cert, key },
    httpRedirect: { listen: '127.0.0.1:0', ...httpRedirect },
    realms: [{ name: 'lab', mount: '/lab', handler: LAB }]
  })
  assert.ok(d.httpRedirect, 'the redirect listener runs')
  return { d, ca, redirect: d.httpRedirect.url, httpsPort: new URL(d.url).port }
}

/** One plain-HTTP request with a Host of our choosing. */
function get (url: string, path: string, host: string, method = 'GET', body?: string) {
  return new Promise<{ status: number, location?: string, connection?: string }>((resolve, reject) => {
    const req = request(url + path, { method, headers: { host } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('the HTTP listener redirects every request to the same path and query on the HTTPS listener', async (t) => {
  const { d, ca, redirect, httpsPort } = await daemonWithRedirect(t, {})
  const got = await get(redirect, '/lab/count?x=1&y=%2F', `localhost:${new URL(redirect).port}`)
  assert.equal(got.status, 308)
  assert.equal(got.location, `https://localhost:${httpsPort}/lab/count?x=1&y=%2F`)
  assert.equal((await get(redirect, '/login', '127.0.0.1')).location, `https://127.0.0.1:${httpsPort}/login`)
  assert.equal((await get(redirect, '/', 'sessiond.test')).location, `https://sessiond.test:${httpsPort}/`)
  const post = await get(redirect, '/login', 'localhost', 'POST', '{"username":"alice"}')
  assert.deepEqual([post.status, post.connection], [308, 'close'], 'a body is never read: 308 keeps the method, the connection closes')
  // Where it points is really the gateway, over TLS.
  const res = await fetch(got.location!.replace('/lab/count', '/healthz'), { dispatcher: new Agent({ connect: { ca } }) })
  assert.equal(res.status, 200)
  assert.match(d.url, /^https:/)
})

test('a Host the certificate does not cover gets no redirect, and a configured origin is used whatever the Host', async (t) => {
  const { redirect } = await daemonWithRedirect(t, {})
  for (const host of ['evil.example', 'evil.example:80', 'localhost.evil.example', '192.0.2.1', 'local host']) {
    assert.equal((await get(redirect, '/x', host)).status, 400, JSON.stringify(host))
  }
  // No Host at all (HTTP/1.0), or no path in origin form: nothing to redirect to.
  assert.equal((await raw(redirect, 'GET / HTTP/1.0\r\n\r\n')).status, 400)
  assert.equal((await raw(redirect, 'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n')).status, 400)

  const fixed = await daemonWithRedirect(t, { origin: 'https://sessiond.example.org:8443', status: 301 })
  const got = await get(fixed.redirect, '/a?b=c', 'evil.example')
  assert.deepEqual([got.status, got.location], [301, 'https://sessiond.example.org:8443/a?b=c'])
})
