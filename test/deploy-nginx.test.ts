import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { browserFlow, client, formLogin, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { makeCert } from './helpers/cert.ts'
import { startDaemon } from './helpers/daemon.ts'
import { deployFile, startNginx } from './helpers/front-server.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

const skip = skipUnlessInstalled('nginx', 'nginx')
// Browsers come from another address than the front server's, which is the only trusted one.
const CLIENT = '127.0.0.2'
const BIG = { limits: { bodyLimit: '64MiB' } }

/** A daemon trusting 127.0.0.1, nginx with a docs/deploy file in front of it over HTTPS, and a browser at CLIENT. */
async function behindNginx (t: TestContext, conf: string, extra: Record<string, unknown> = {}) {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'], ...BIG, ...extra } })
  const { cert, key, ca } = await makeCert(t)
  const nginx = await startNginx(t, (listen) => deployFile(conf, {
    LISTEN: listen, SERVER_NAME: 'localhost', CERT: cert, KEY: key, UPSTREAM: new URL(d.url).host
  }), { tls: true })
  return { d, nginx, c: client(nginx.url, { ca, localAddress: CLIENT }) }
}

test('through nginx (docs/deploy/nginx.conf) over HTTPS: form login, a realm\'s state, 8 MiB streamed both ways, logout', { skip }, async (t) => {
  const { nginx, c } = await behindNginx(t, 'nginx.conf')
  await browserFlow(c, { cookieName: '__Host-sessiond', forwardedProto: 'https', forwardedFor: CLIENT, forwardedHost: `127.0.0.1:${nginx.port}` })
  const login = await jsonLogin(c, 'bob', 'bob-password')
  assert.equal(login.status, 200)
  assert.match(login.headers.get('strict-transport-security') ?? '', /^max-age=\d+/, 'HSTS: the client\'s scheme is HTTPS')
  assert.match(sessionCookie(login)!.attributes, /Secure/)
})

test('through nginx under /apps/ with the prefix stripped (X-Forwarded-Prefix): redirects, form, next and cookie Path carry it', { skip }, async (t) => {
  const { nginx, c } = await behindNginx(t, 'nginx.conf')
  // __Host- cookies must have Path=/: under a prefix the HTTPS cookie is __Secure-, Path=/apps.
  await browserFlow(c, { prefix: '/apps', cookieName: '__Secure-sessiond', forwardedProto: 'https', forwardedFor: CLIENT, forwardedHost: `127.0.0.1:${nginx.port}`, bytes: 4 * 1024 * 1024 })
  const bare = await c.fetch('/apps/lab?x=1')
  assert.equal(bare.status, 308)
  assert.equal(bare.headers.get('location'), '/apps/lab/?x=1')
  const elsewhere = await formLogin(c, '/apps', 'alice', 'alice-password', '/admin/')
  assert.equal(elsewhere.headers.get('location'), '/apps/', 'a next outside the prefix goes to its root')
})

test('through nginx under /apps/ with the prefix kept (docs/deploy/nginx-base-path.conf, basePath: /apps)', { skip }, async (t) => {
  const { d, nginx, c } = await behindNginx(t, 'nginx-base-path.conf', { basePath: '/apps' })
  await browserFlow(c, { prefix: '/apps', cookieName: '__Secure-sessiond', forwardedProto: 'https', forwardedFor: CLIENT, forwardedHost: `127.0.0.1:${nginx.port}`, bytes: 4 * 1024 * 1024 })
  assert.equal((await c.fetch('/apps/healthz')).status, 200)
  assert.equal((await fetch(d.url + '/login')).status, 404, 'outside basePath nothing is served')
})
