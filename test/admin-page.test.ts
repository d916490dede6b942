// The admin page in Debian's chromium (scripts/admin-tour.ts): an admin logs
// in, sees two users' workers appear without reloading, hibernates one and
// stops the other behind a confirmation; a plain user gets 403; the page
// runs under a CSP that allows no inline script.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { launchBrowser } from '../scripts/browser.ts'
import { adminTour } from '../scripts/admin-tour.ts'
import { getJson, startDaemon } from './helpers/daemon.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

const skip = skipUnlessInstalled('chromium', 'chromium')
const COUNTER = fileURLToPath(new URL('../examples/counter/handler.ts', import.meta.url))
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47])

test('the admin page in a browser: live rows for two users\' workers, hibernate and stop behind a confirmation; 403 for a plain user', { skip }, async (t) => {
  const d = await startDaemon(t, {
    users: { root: 'root-password', alice: 'alice-password', bob: 'bob-password' },
    groups: { root: ['admin'] },
    realms: [{ name: 'counter', mount: '/counter', handler: COUNTER }]
  })
  const browser = await launchBrowser()
  t.after(() => browser.close())
  const page = await (await browser.context()).newPage()
  const csp = page.waitForResponse(r => r.url().endsWith('/_sessiond/admin/') && r.status() === 200)
  const tour = await adminTour(page, d.url, { user: 'root', password: 'root-password' }, async () => {
    for (const u of ['alice', 'bob']) assert.equal((await getJson(d.url + '/counter/', await d.login(u, `${u}-password`))).status, 200)
    return [{ user: 'alice', realm: 'counter' }, { user: 'bob', realm: 'counter' }]
  })
  assert.deepEqual(tour.appeared.sort(), ['alice', 'bob'])
  assert.equal(tour.hibernatedState, 'hibernated')
  assert.ok(tour.stoppedGone)
  assert.match(tour.message, /^stop: bob in counter was ready, is now gone$/)
  assert.deepEqual(tour.confirmations, ['Hibernate the worker of alice in counter?', 'Stop the worker of bob in counter? Its unsaved state is lost.'])
  assert.deepEqual(tour.png.subarray(0, 4), PNG)
  const policy = (await csp).headers()['content-security-policy']
  assert.match(policy, /script-src 'self'/)
  assert.doesNotMatch(policy, /unsafe-inline/)

  // A plain user, logged in in a browser of her own, gets 403 from the page.
  const other = await (await browser.context()).newPage()
  await other.goto(d.url + '/login')
  await other.fill('#username', 'alice')
  await other.fill('#password', 'alice-password')
  await Promise.all([other.waitForURL(d.url + '/'), other.click('button[type=submit]')])
  const denied = await other.goto(d.url + '/_sessiond/admin/')
  assert.equal(denied?.status(), 403)
})
