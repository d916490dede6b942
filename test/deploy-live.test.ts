import { test } from 'node:test'
import assert from 'node:assert/strict'
import { client, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { makeCert } from './helpers/cert.ts'
import { startDaemon } from './helpers/daemon.ts'
import { deployFile, startApache, startNginx } from './helpers/front-server.ts'
import { liveFlow } from './helpers/live-flow.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

// docs/deploy's nginx and Apache configs, as written, over HTTPS: they carry
// WebSockets (the upgrade, both directions, the public origin for the
// Origin rule) and pass server-sent events on as they are made.

const CLIENT = '127.0.0.2'

async function loggedIn (origin: string, ca: Buffer) {
  const c = client(origin, { ca, localAddress: CLIENT })
  const login = await jsonLogin(c, 'alice', 'alice-password')
  assert.equal(login.status, 200)
  return { c, cookie: sessionCookie(login)!.pair }
}

for (const conf of ['nginx.conf', 'nginx-base-path.conf']) {
  test(`through nginx (docs/deploy/${conf}) over HTTPS: a WebSocket both ways, its Origin rule, and events one by one`, { skip: skipUnlessInstalled('nginx', 'nginx') }, async (t) => {
    const prefix = conf === 'nginx.conf' ? '' : '/apps'
    const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'], ...(prefix && { basePath: prefix }) } })
    const { cert, key, ca } = await makeCert(t)
    const nginx = await startNginx(t, (listen) => deployFile(conf, {
      LISTEN: listen, SERVER_NAME: 'localhost', CERT: cert, KEY: key, UPSTREAM: new URL(d.url).host
    }), { tls: true })
    const { c, cookie } = await loggedIn(nginx.url + prefix, ca)
    await liveFlow(c, { origin: nginx.url, path: prefix, cookie, ca, localAddress: CLIENT })
  })
}

for (const mode of ['ProxyPass', 'mod_rewrite [P]']) {
  test(`through Apache (docs/deploy/apache.conf, ${mode}, SESSIOND_TLS) over HTTPS: a WebSocket both ways, its Origin rule, and events one by one`, { skip: skipUnlessInstalled('apache2', 'apache2') }, async (t) => {
    const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'] } })
    const { cert, key, ca } = await makeCert(t)
    const apache = await startApache(t, (listen) => deployFile('apache.conf', { LISTEN: listen, UPSTREAM: new URL(d.url).host, HTPASSWD: '/nonexistent', CERT: cert, KEY: key }),
      mode === 'ProxyPass' ? [] : ['SESSIOND_REWRITE'], { tls: true })
    const { c, cookie } = await loggedIn(apache.url, ca)
    await liveFlow(c, { origin: apache.url, cookie, ca, localAddress: CLIENT })
  })
}
