// The demo as a person sees it, in Debian's chromium (scripts/demo-tour.ts):
// the login the counter redirects to, a page that shows the session's own
// worker, notes added with a form, a process of the session's own (as the
// login's account when root), the way home and the log out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { launchBrowser } from '../scripts/browser.ts'
import { demoTour } from '../scripts/demo-tour.ts'
import { ROOT, getJson, login } from './helpers/daemon.ts'
import { spawnDaemon } from './helpers/spawn-daemon.ts'
import { skipUnlessInstalled } from './helpers/system-binary.ts'

const skip = skipUnlessInstalled('chromium', 'chromium')
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47])

test('the demo in a browser: log in, your own worker, notes by form, a process of your own, home and log out', { skip }, async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const data = await mkdtemp(join(tmpdir(), 'sessiond-demo-pages-'))
  t.after(() => rm(data, { recursive: true, force: true }))
  const d = await spawnDaemon(t, process.execPath, [join(ROOT, 'packages/gateway/src/cli/main.ts'), 'start', '--config', join(ROOT, 'examples/demo.yaml'), '--listen', '127.0.0.1:0', '--data', data])
  assert.ok(d.demo, d.output())
  const browser = await launchBrowser()
  t.after(() => browser.close())
  const tour = await demoTour(await (await browser.context()).newPage(), d.url, d.demo)

  assert.deepEqual(tour.counts, [1, 2], 'one worker counts this session\'s requests')
  assert.match(tour.workerId, /^[0-9a-f]{8}$/)
  assert.match(tour.counterNote, /started fresh for your session/)
  assert.deepEqual(tour.notes, ['buy milk', 'call the plumber'])
  if (process.getuid?.() === 0) assert.match(tour.account, /runs as you: the system account demo \(uid \d+\)/)
  else assert.match(tour.account, /the daemon's own account, not as you/)
  assert.match(tour.afterLogout, /\/login\?next=/, 'after log out the realm asks for a login again')
  assert.deepEqual(tour.shots.map(s => s.name), ['login', 'counter', 'notes', 'whoami', 'home'])
  for (const shot of tour.shots) assert.deepEqual(shot.png.subarray(0, 4), PNG, shot.name)

  // Another session (an API client this time) has a worker, a count, notes and a process of its own.
  const other = await login(d.url, d.demo.user, d.demo.password)
  const counter = await getJson(d.url + '/counter/', other)
  assert.equal(counter.body.count, 1)
  assert.notEqual(counter.body.worker.id, tour.workerId)
  assert.deepEqual((await getJson(d.url + '/notes/', other)).body, { notes: [] })
  const who = await getJson(d.url + '/whoami/', other)
  assert.notEqual(who.body.pid, tour.whoamiPid, 'each session has a process of its own')
  assert.equal(who.body.asYou, process.getuid?.() === 0)
})
