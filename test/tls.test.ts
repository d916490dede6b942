import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { connect } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { makeCert } from './helpers/cert.ts'
import { startDaemon } from './helpers/daemon.ts'

/** The names the certificate is asked for: a DNS name and an IP address. */
const NAMES = ['sessiond.test', '192.0.2.10']

/** One HTTP/2 request; answers status, headers and body. */
function h2 (url: string, ca: Buffer, path: string, { method = 'GET', headers = {}, body }: { method?: string, headers?: Record<string, string>, body?: string } = {}) {
  return new Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: string, alpn: string | false }>((resolve, reject) => {
    const session = connect(url, { ca, servername: 'localhost' })
    session.on('error', reject)
    const req = session.request({ ':method': method, ':path': path, ...headers })
    let text = ''
    let head: Record<string, string | string[] | undefined> = {}
    req.on('response', h => { head = h })
    req.setEncoding('utf8')
    req.on('data', d => { text += d })
    req.on('end', () => {
      const alpn = session.alpnProtocol ?? false
      session.close()
      resolve({ status: Number(head[':status']), headers: head, body: text, alpn })
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('sessiond cert writes a self-signed certificate for the names, localhost and loopback, with a 0600 key', async (t) => {
  const { key, ca: pem } = await makeCert(t, NAMES)
  assert.equal((await stat(key)).mode & 0o777, 0o600)
  const x509 = new X509Certificate(pem)
  const sans = x509.subjectAltName ?? ''
  for (const name of ['DNS:sessiond.test', 'DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:192.0.2.10']) assert.ok(sans.includes(name), `${name} in ${sans}`)
  assert.match(sans, /IP Address:(0:0:0:0:0:0:0:1|::1)/)
  assert.ok(x509.checkHost('sessiond.test'))
  assert.equal(x509.verify(x509.publicKey), true, 'self-signed')
})

test('over TLS: HTTP/2 by ALPN, HTTP/1.1 as fallback, HSTS, and a __Host- Secure cookie', async (t) => {
  const { cert, key, ca } = await makeCert(t, NAMES)
  const d = await startDaemon(t, { extra: { tls: { cert, key }, limits: { bodyLimit: 100_000 } } })
  assert.match(d.url, /^https:\/\//)
  const login = await h2(d.url, ca, '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' })
  })
  assert.equal(login.alpn, 'h2')
  assert.equal(login.status, 200, login.body)
  assert.match(String(login.headers['strict-transport-security']), /^max-age=\d+; includeSubDomains$/)
  const setCookie = ([] as string[]).concat(login.headers['set-cookie'] ?? [])
  assert.equal(setCookie.length, 1)
  assert.match(setCookie[0], /^__Host-sessiond=.*; Path=\/;.*HttpOnly; Secure; SameSite=Lax/)
  const cookie = setCookie[0].split(';', 1)[0]

  const count = await h2(d.url, ca, '/lab/count', { headers: { cookie } })
  assert.equal(count.status, 200, count.body)
  assert.equal(JSON.parse(count.body).count, 1)
  const echoed = JSON.parse((await h2(d.url, ca, '/lab/echo-headers', { headers: { cookie } })).body)
  assert.equal(echoed.headers['x-forwarded-proto'], 'https')
  assert.ok(!Object.keys(echoed.headers).some(h => h.startsWith(':')), 'no pseudo-headers reach the worker')

  // HTTP/2 bodies come without Content-Length or chunks: they still stream to the worker, within the limit.
  const upload = await h2(d.url, ca, '/lab/upload', { method: 'POST', headers: { cookie }, body: 'x'.repeat(100_000) })
  assert.equal(upload.status, 200, upload.body)
  assert.equal(JSON.parse(upload.body).bytes, 100_000)
  const tooBig = await h2(d.url, ca, '/lab/upload', { method: 'POST', headers: { cookie }, body: 'x'.repeat(100_001) })
  assert.equal(tooBig.status, 413)

  const http1 = await new Promise<{ status: number, hsts: string | undefined, body: string, version: string }>((resolve, reject) => {
    const req = httpsRequest(d.url + '/lab/count', { ca, servername: 'localhost', headers: { cookie } }, res => {
      let body = ''
      res.on('data', c => { body += c })
      res.on('end', () => resolve({ status: res.statusCode!, hsts: res.headers['strict-transport-security'], body, version: res.httpVersion }))
    })
    req.on('error', reject)
    req.end()
  })
  assert.equal(http1.version, '1.1')
  assert.equal(http1.status, 200)
  assert.equal(JSON.parse(http1.body).count, 2, 'the same session and worker over HTTP/1.1')
  assert.ok(http1.hsts)
})
