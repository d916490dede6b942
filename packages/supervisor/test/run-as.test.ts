import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, chown, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pino from 'pino'
import { MemoryStore } from '@sessiond/session-store'
import { Supervisor } from '../src/supervisor.ts'
import { bodyBytes, eventually, fixture, realm, setupKinds } from './helpers.ts'

// These tests create real system accounts, so they need root. Under CI=true
// not being root is a failure, never a skip.
const ROOT = process.getuid?.() === 0
const USERS = ['sdtest-alice', 'sdtest-bob']
const skip = !ROOT && process.env.CI !== 'true' ? 'needs root to create system users' : false
const ids: Record<string, { uid: number, gid: number }> = {}

before(() => {
  if (skip) return
  assert.ok(ROOT, 'runAs tests must run as root (they create system users)')
  for (const u of USERS) {
    try {
      execFileSync('id', [u], { stdio: 'ignore' })
    } catch {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', u])
    }
    ids[u] = { uid: Number(execFileSync('id', ['-u', u]).toString()), gid: Number(execFileSync('id', ['-g', u]).toString()) }
  }
})

after(() => {
  if (skip) return
  for (const u of USERS) {
    try {
      execFileSync('userdel', [u], { stdio: 'ignore' })
    } catch {
      // Already gone.
    }
  }
})

test('runAs session-user: the worker runs as the login\'s system account and cannot reach another session\'s files or socket', { skip }, async (t) => {
  const store = new MemoryStore()
  const runDir = await mkdtemp(join(tmpdir(), 'sd-runas-'))
  const secrets = await mkdtemp(join(tmpdir(), 'sd-secret-'))
  await chmod(secrets, 0o755)
  const bobSecret = join(secrets, 'bob.txt')
  await writeFile(bobSecret, 'bob only', { mode: 0o600 })
  await chown(bobSecret, ids['sdtest-bob'].uid, ids['sdtest-bob'].gid)
  const supervisor = new Supervisor({
    realms: [realm({ name: 'who', kind: 'process', handler: fixture('whoami.ts'), runAs: 'session-user' })],
    store,
    logger: pino({ level: 'silent' }),
    runDir
  })
  t.after(async () => {
    await supervisor.close()
    await rm(runDir, { recursive: true, force: true })
    await rm(secrets, { recursive: true, force: true })
  })
  const a = await store.create('sdtest-alice', 60_000)
  const b = await store.create('sdtest-bob', 60_000)
  const ask = async (sessionId: string, user: string, query = '') => {
    const res = await supervisor.dispatch({ identity: { sessionId, user }, realm: 'who', method: 'GET', url: 'http://x/?' + query, headers: [], body: null })
    return JSON.parse(Buffer.from(await bodyBytes(res)).toString())
  }
  const bob = await ask(b.id, 'sdtest-bob', 'read=' + encodeURIComponent(bobSecret))
  assert.equal(bob.uid, ids['sdtest-bob'].uid)
  assert.equal(bob.read, 'read', 'bob reads his own file')

  // Bob's private socket directory: the one owned by his uid.
  let bobSocket = ''
  for (const d of await readdir(runDir)) {
    if ((await stat(join(runDir, d))).uid === ids['sdtest-bob'].uid) bobSocket = join(runDir, d, 'w.sock')
  }
  assert.ok(bobSocket, 'bob\'s worker has a private directory owned by him')
  assert.equal((await stat(join(bobSocket, '..'))).mode & 0o777, 0o700)

  const alice = await ask(a.id, 'sdtest-alice', `read=${encodeURIComponent(bobSecret)}&connect=${encodeURIComponent(bobSocket)}`)
  assert.equal(alice.uid, ids['sdtest-alice'].uid)
  assert.equal(alice.gid, ids['sdtest-alice'].gid)
  assert.ok(!alice.groups.includes(0), 'no root group left over')
  assert.equal(alice.read, 'EACCES')
  assert.equal(alice.connect, 'EACCES')
})

test('a realm with runAs refuses to start a supervisor that is not root', { skip }, async () => {
  const supervisorUrl = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href
  const code = `
    import(${JSON.stringify(supervisorUrl)}).then(({ Supervisor }) => {
      try {
        new Supervisor({ realms: [{ name: 'x', kind: 'process', handler: 'file:///x.ts', runAs: 'session-user', idleTimeout: 1, startTimeout: 1, stopTimeout: 1, requestTimeout: 1, listen: 'unix' }], store: {}, logger: { child () { return this } } })
        console.log('started')
      } catch (err) { console.log(err.code) }
    })`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  await once(child, 'exit')
  assert.equal(out.trim(), 'SUP_ERR_RUN_AS_NEEDS_ROOT')
})

test('a process spare started as root becomes the session\'s account before any handler code loads', { skip }, async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'w', kind: 'process', handler: fixture('lifecycle.ts'), runAs: 'session-user', spares: 1 })])
  await eventually(() => supervisor.stats().spares.w?.ready === 1, 'the spare is ready')
  const s = await store.create('sdtest-alice', 60_000)
  const body = JSON.parse((await call(s.id, 'sdtest-alice', 'w')).text)
  assert.equal(supervisor.stats().claimedSpares, 1)
  // The module's top level ran as alice: no handler code ran as root.
  assert.equal(body.loadedUid, ids['sdtest-alice'].uid)
  assert.equal(body.uid, ids['sdtest-alice'].uid)
})
