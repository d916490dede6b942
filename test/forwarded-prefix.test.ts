import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { client, formLogin, jsonLogin, sessionCookie } from './helpers/browser-flow.ts'
import { ROOT, startDaemon } from './helpers/daemon.ts'

test('X-Forwarded-Prefix from an address that is not a trusted proxy changes nothing', async (t) => {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'] } })
  const c = client(d.url, { localAddress: '127.0.0.2' })
  const spoof = { 'x-forwarded-prefix': '/evil' }
  const away = await c.fetch('/lab/count', { headers: { ...spoof, accept: 'text/html' } })
  assert.equal(away.headers.get('location'), '/login?next=%2Flab%2Fcount')
  const page = await (await c.fetch('/login', { headers: spoof })).text()
  assert.match(page, /<form method="post" action="\/login">/)
  const login = await jsonLogin(c, 'alice', 'alice-password', spoof)
  const cookie = sessionCookie(login)!
  assert.match(cookie.attributes, /Path=\/(;|$)/)
  const echoed = await (await c.fetch('/lab/echo-headers', { headers: { ...spoof, cookie: cookie.pair } })).json() as { headers: Record<string, string> }
  assert.equal(echoed.headers['x-forwarded-prefix'], '/lab')
  const bare = await c.fetch('/lab', { headers: { ...spoof, cookie: cookie.pair } })
  assert.equal(bare.headers.get('location'), '/lab/')
  const form = await formLogin({ fetch: (path, init = {}) => c.fetch(path, { ...init, headers: { ...init.headers as Record<string, string>, ...spoof } }) }, '', 'alice', 'alice-password', '/lab/count')
  assert.equal(form.headers.get('location'), '/lab/count', 'next is not forced below a prefix nobody trusted')
})

test('from a trusted proxy, X-Forwarded-Prefix moves redirects, forms, next and the cookie below it', async (t) => {
  const d = await startDaemon(t, { extra: { trustProxy: ['127.0.0.1'] } })
  const c = client(d.url)
  for (const given of ['/apps', '/apps/']) {
    const away = await c.fetch('/lab/count?x=1', { headers: { 'x-forwarded-prefix': given, accept: 'text/html' } })
    assert.equal(away.headers.get('location'), '/apps/login?next=' + encodeURIComponent('/apps/lab/count?x=1'), given)
  }
  const login = await jsonLogin(c, 'alice', 'alice-password', { 'x-forwarded-prefix': '/apps' })
  const cookie = sessionCookie(login)!
  assert.equal(cookie.name, 'sessiond')
  assert.match(cookie.attributes, /Path=\/apps(;|$)/)
  const https = await jsonLogin(c, 'alice', 'alice-password', { 'x-forwarded-prefix': '/apps', 'x-forwarded-proto': 'https' })
  assert.equal(sessionCookie(https)!.name, '__Secure-sessiond', '__Host- cookies cannot have Path=/apps')
  assert.match(sessionCookie(https)!.attributes, /Path=\/apps;.*Secure/)

  const bad = await c.fetch('/healthz', { headers: { 'x-forwarded-prefix': '/a/../b' } })
  assert.equal(bad.status, 400)
  assert.equal((await bad.json() as { error: string }).error, 'GW_ERR_BAD_FORWARDED_PREFIX')
  assert.equal((await c.fetch('/healthz', { headers: { 'x-forwarded-prefix': '/' } })).status, 200, '/ is no prefix')
})

test('basePath: the gateway lives below it (and its workers reach the store there); outside it nothing is served', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'lab', mount: '/lab' },
      { name: 'proc', mount: '/proc', kind: 'process', handler: join(ROOT, 'packages/supervisor/test/fixtures/process-counter.ts') }
    ],
    extra: { basePath: '/apps' }
  })
  const c = client(d.url)
  for (const path of ['/login', '/lab/count', '/healthz', '/appsx/login', '/%61pps/login', '/_sessiond/store']) {
    assert.equal((await c.fetch(path)).status, 404, path)
  }
  assert.equal((await c.fetch('/apps/healthz')).status, 200)
  assert.match(await (await c.fetch('/apps')).text(), /href="\/apps\/login"/)
  const away = await c.fetch('/apps/lab/count', { headers: { accept: 'text/html' } })
  assert.equal(away.headers.get('location'), '/apps/login?next=%2Fapps%2Flab%2Fcount')
  const login = await formLogin(c, '/apps', 'alice', 'alice-password', '/apps/lab/count')
  assert.equal(login.headers.get('location'), '/apps/lab/count')
  const cookie = sessionCookie(login)!
  assert.match(cookie.attributes, /Path=\/apps(;|$)/)
  const counted = await (await c.fetch('/apps/lab/count', { headers: { cookie: cookie.pair } })).json() as { count: number, path: string }
  assert.deepEqual([counted.count, counted.path], [1, '/count'], 'the worker sees the path below the mount')
  const stored = await c.fetch('/apps/proc/store', { headers: { cookie: cookie.pair } })
  assert.equal(stored.status, 200, await stored.clone().text())
  assert.ok((await stored.json() as Record<string, string>)['from-process'], 'SESSIOND_STORE_URL points below basePath')

  // No trusted proxy here: under basePath too, X-Forwarded-Prefix from anyone changes nothing.
  const both = await client(d.url).fetch('/apps/login', { headers: { 'x-forwarded-prefix': '/outer' } })
  assert.match(await both.text(), /action="\/apps\/login"/, 'no trusted proxy: the header is ignored')
})

test('basePath behind a trusted proxy that stripped a prefix of its own: the public prefix is both', async (t) => {
  const d = await startDaemon(t, { extra: { basePath: '/apps', trustProxy: ['127.0.0.1'] } })
  const page = await client(d.url).fetch('/apps/login', { headers: { 'x-forwarded-prefix': '/outer' } })
  assert.match(await page.text(), /action="\/outer\/apps\/login"/)
})
