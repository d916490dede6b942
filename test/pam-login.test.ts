// users.source pam: the system's own accounts log in with their system
// passwords, through a PAM service of the test's own, and a realm with
// `runAs: session-user` runs their worker as that very account. Real
// accounts with real passwords, made here; root is needed (as for runAs),
// and under CI=true not being root is a failure, never a skip.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { ROOT, getJson, postLogin, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

const IS_ROOT = process.getuid?.() === 0
const skip = !IS_ROOT && process.env.CI !== 'true' ? 'needs root to make system accounts and to check their passwords' : false
const SERVICE = 'sessiond-test'
const SERVICE_FILE = `/etc/pam.d/${SERVICE}`
const GROUP = 'sdpam-staff'
const ACCOUNTS = { 'sdpam-alice': 'Alice-system-pw-1', 'sdpam-bob': 'Bob-system-pw-22' }
const WHOAMI = join(ROOT, 'packages/supervisor/test/fixtures/whoami.ts')
const uids: Record<string, number> = {}

const quiet = { stdio: 'ignore' } as const
function tryRun (cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, quiet)
  } catch {
    // Already there (or already gone): the state wanted holds either way.
  }
}

before(() => {
  if (skip) return
  assert.ok(IS_ROOT, 'PAM tests must run as root (they make system accounts)')
  tryRun('groupadd', ['--system', GROUP])
  for (const [user, password] of Object.entries(ACCOUNTS)) {
    tryRun('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user])
    execFileSync('chpasswd', [], { input: `${user}:${password}\n` })
    uids[user] = Number(execFileSync('id', ['-u', user]).toString())
  }
  execFileSync('usermod', ['-aG', GROUP, 'sdpam-alice'])
  // pam_unix alone, without its 2 s failure delay, so that the test measures sessiond's own floor.
  writeFileSync(SERVICE_FILE, '# sessiond tests (test/pam-login.test.ts)\nauth required pam_unix.so nodelay\naccount required pam_unix.so\n')
})

after(() => {
  if (skip) return
  for (const user of Object.keys(ACCOUNTS)) tryRun('userdel', [user])
  tryRun('groupdel', [GROUP])
  rmSync(SERVICE_FILE, { force: true })
})

const pamDaemon = (t: import('node:test').TestContext) => startDaemon(t, {
  users: {},
  realms: [
    { name: 'who', mount: '/who', handler: WHOAMI, kind: 'process', runAs: 'session-user' },
    { name: 'staff', mount: '/staff', allow: { groups: [GROUP] } }
  ],
  extra: { users: { source: 'pam', service: SERVICE }, login: { attemptsPerUser: 3, delay: '30s' } }
})

test('a system account logs in with its system password, and a runAs session-user worker runs as that account', { skip }, async (t) => {
  const d = await pamDaemon(t)
  const cookie = await d.login('sdpam-bob', ACCOUNTS['sdpam-bob'])
  const who = await getJson(d.url + '/who/', cookie)
  assert.equal(who.status, 200, JSON.stringify(who.body))
  assert.equal(who.body.uid, uids['sdpam-bob'])
  assert.notEqual(who.body.uid, 0)
})

test('a wrong password and an unknown name get the same 401 at about the same cost, and are throttled alike', { skip }, async (t) => {
  const d = await pamDaemon(t)
  const attempt = async (user: string, password: string) => {
    const t0 = performance.now()
    const res = await postLogin(d.url, user, password)
    return { status: res.status, body: await res.json(), ms: performance.now() - t0 }
  }
  const wrong = await attempt('sdpam-alice', 'not-her-password')
  const unknown = await attempt('sdpam-nobody', 'not-her-password')
  const tooLong = await attempt('sdpam-alice', ACCOUNTS['sdpam-alice'] + 'x'.repeat(200))
  for (const r of [wrong, unknown, tooLong]) {
    assert.equal(r.status, 401)
    assert.equal(r.body.error, 'GW_ERR_LOGIN_FAILED')
    assert.equal(r.body.message, 'invalid username or password')
    assert.ok(r.ms >= 240, `at least the floor: ${r.ms.toFixed(0)} ms`)
  }
  const ratio = unknown.ms / wrong.ms
  assert.ok(ratio > 0.5 && ratio < 2, `unknown ${unknown.ms.toFixed(0)} ms, wrong ${wrong.ms.toFixed(0)} ms`)
  // Three failures for one name are free (attemptsPerUser: 3); the fourth locks it, and the right password then gets 429.
  await attempt('sdpam-alice', 'again-wrong')
  await attempt('sdpam-alice', 'and-again')
  const throttled = await attempt('sdpam-alice', ACCOUNTS['sdpam-alice'])
  assert.equal(throttled.status, 429)
})

test('realm allow groups are the account\'s system groups', { skip }, async (t) => {
  const d = await pamDaemon(t)
  const alice = await d.login('sdpam-alice', ACCOUNTS['sdpam-alice'])
  const bob = await d.login('sdpam-bob', ACCOUNTS['sdpam-bob'])
  assert.equal((await getJson(d.url + '/staff/count', alice)).status, 200)
  assert.equal((await getJson(d.url + '/staff/count', bob)).status, 403)
})

test('users.source pam refuses a demo user and a users file, naming the key; check names the PAM service', { skip }, async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-pam-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const bad = join(dir, 'bad.yaml')
  await writeFile(bad, 'users: { source: pam, demo: demo, file: users.json }\n')
  const refused = await runCli(['check', '--config', bad])
  assert.equal(refused.code, 78)
  assert.match(refused.stderr, /\/users\/file: expected no users file with users\.source pam/)
  assert.match(refused.stderr, /\/users\/demo: expected no demo user with users\.source pam/)
  const missing = join(dir, 'missing.yaml')
  await writeFile(missing, 'users: { source: pam, service: sessiond-no-such-service }\n')
  const noService = await runCli(['check', '--config', missing])
  assert.equal(noService.code, 78)
  assert.match(noService.stderr, /\/users\/service: PAM: no PAM service sessiond-no-such-service: \/etc\/pam\.d\/sessiond-no-such-service does not exist/)
  const good = join(dir, 'good.yaml')
  await writeFile(good, `users: { source: pam, service: ${SERVICE} }\n`)
  const ok = await runCli(['check', '--config', good])
  assert.equal(ok.code, 0, ok.output)
  assert.match(ok.stdout, new RegExp(`users: PAM service ${SERVICE} \\(${SERVICE_FILE}\\)`))
})
