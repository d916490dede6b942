// A browser navigation to a realm whose worker is slow to start gets a page
// that follows the start over server-sent events and loads the realm when it
// is ready; a start that fails shows the reason an operator needs (the
// command's own words, the port it never opened, the missing account).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { launchBrowser } from '../scripts/browser.ts'
import { startDaemon } from './helpers/daemon.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

const SLOW = fileURLToPath(new URL('./fixtures/slow-start.ts', import.meta.url))
const NAVIGATE = { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

/** A GET with the headers a browser's navigation sends: fetch() would put its own Sec-Fetch-Mode (cors) in. */
async function navigate (url: string, cookie: string): Promise<{ status: number, headers: Record<string, unknown>, text: string }> {
  const res = await request(url, { headers: { ...NAVIGATE, cookie } })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

/** The events a progress page would read, until the stream ends. */
async function events (url: string, cookie: string): Promise<Array<{ event: string, data: any }>> {
  const res = await fetch(url, { headers: { cookie, accept: 'text/event-stream' } })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type')!, /^text\/event-stream/)
  return (await res.text()).split('\n\n').filter(b => b.startsWith('event: ')).map((block) => {
    const [, event] = /^event: (\S+)/.exec(block)!
    return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]) }
  })
}

test('a slow start shows the progress page, whose events say ready; failed starts say why', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'slow', mount: '/slow', handler: SLOW },
      { name: 'fast', mount: '/fast' },
      { name: 'staff-only', mount: '/staff-only', allow: { groups: ['staff'] } },
      { name: 'missing', mount: '/missing', kind: 'exec', handler: undefined, command: ['/opt/nowhere/serve-it'] },
      // A loopback port is for one fixed account (as root); a port never opened is the point here.
      { name: 'deaf', mount: '/deaf', kind: 'exec', handler: undefined, listen: 'port', startTimeout: '1500ms', command: ['/usr/bin/python3', '-c', 'import time; time.sleep(60)'], ...(process.getuid?.() === 0 && { runAs: { user: 'nobody' } }) },
      ...(process.getuid?.() === 0 ? [{ name: 'nobody-home', mount: '/nobody-home', kind: 'exec', handler: undefined, runAs: { user: 'no-such-account' }, command: ['/usr/bin/true'] }] : [])
    ]
  })
  const alice = await d.login('alice', 'alice-password')

  const page = await navigate(d.url + '/slow/', alice)
  assert.equal(page.status, 200)
  const html = page.text
  assert.match(html, /<h1>Starting slow…<\/h1>/)
  assert.match(html, /<meta name="sessiond-spawn" content="\/_sessiond\/spawn\/slow\/events">/)
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
  assert.deepEqual(await events(d.url + '/_sessiond/spawn/slow/events', alice), [{ event: 'ready', data: {} }])
  assert.match((await navigate(d.url + '/slow/', alice)).text, /the slow realm is ready/, 'the reload reaches the realm')

  // A quick start never sees the page.
  assert.equal(JSON.parse((await navigate(d.url + '/fast/count', alice)).text).count, 1)

  const [missing] = await events(d.url + '/_sessiond/spawn/missing/events', alice)
  assert.equal(missing.event, 'failed')
  assert.equal(missing.data.code, 'SUP_ERR_WORKER_START')
  assert.match(missing.data.reason, /failed to start: exited with 127; it said: .*\/opt\/nowhere\/serve-it: No such file or directory/)
  const [deaf] = await events(d.url + '/_sessiond/spawn/deaf/events', alice)
  assert.equal(deaf.data.code, 'SUP_ERR_WORKER_START_TIMEOUT')
  assert.match(deaf.data.reason, /did not start within 1500 ms: it never accepted a connection on 127\.0\.0\.1:\d+ \(\$PORT\)/)
  if (process.getuid?.() === 0) {
    const [account] = await events(d.url + '/_sessiond/spawn/nobody-home/events', alice)
    assert.equal(account.data.code, 'SUP_ERR_RUN_AS_USER')
    assert.match(account.data.reason, /^no system account no-such-account to run the worker as/)
  }
  assert.equal((await fetch(d.url + '/_sessiond/spawn/slow/events')).status, 401, 'only for the session\'s own worker')
  assert.equal((await fetch(d.url + '/_sessiond/spawn/staff-only/events', { headers: { cookie: alice } })).status, 403, 'only in a realm open to the user')
  assert.equal((await fetch(d.url + '/_sessiond/spawn/nosuch/events', { headers: { cookie: alice } })).status, 404)
})

test('in a browser, the progress page loads the realm once its worker is ready', { skip: skipUnlessInstalled('chromium', 'chromium') }, async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'slow', mount: '/slow', handler: SLOW }] })
  const browser = await launchBrowser()
  t.after(() => browser.close())
  const page = await (await browser.context()).newPage()
  await page.goto(d.url + '/login?next=/slow/')
  await page.fill('#username', 'alice')
  await page.fill('#password', 'alice-password')
  await page.click('button[type=submit]')
  await page.waitForSelector('h1:text("Starting slow…")')
  await page.waitForSelector('#ready', { timeout: 15_000 })
  assert.equal(await page.textContent('#ready'), 'the slow realm is ready')
})
