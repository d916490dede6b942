import { test } from 'node:test'
import assert from 'node:assert/strict'
import { getJson, startDaemon } from './helpers/daemon.ts'

test('a realm\'s csp is set on every response, replacing the worker\'s; other realms are untouched', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'pages', mount: '/pages', csp: { policy: "default-src 'self'", sandbox: 'allow-scripts' } },
      { name: 'lab', mount: '/lab' }
    ]
  })
  const cookie = await d.login('alice', 'alice-password')
  for (const path of ['/pages/count', '/pages/missing', '/pages/download?bytes=10']) {
    const res = await getJson(d.url + path, cookie)
    assert.equal(res.headers.get('content-security-policy'), "default-src 'self'; sandbox allow-scripts", path)
  }
  assert.equal((await getJson(d.url + '/lab/count', cookie)).headers.get('content-security-policy'), null)
})

test('a sandbox that would keep the realm\'s origin is refused at start', async (t) => {
  await assert.rejects(startDaemon(t, { realms: [{ name: 'pages', mount: '/pages', csp: { sandbox: 'allow-scripts allow-same-origin' } }] }),
    /\/realms\/0\/csp\/sandbox/)
})
