// One session's worker against another's, as a hostile neighbour on the same
// host would try it (issue 15, findings 1, 2 and 4). The neighbour is a real
// exec worker (fixtures/neighbour.py) that probes what it can reach.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_TRANSIENT_RANGE } from '../src/transient-accounts.ts'
import { eventually, fixture, realm, setupKinds } from './helpers.ts'

const ROOT = process.getuid?.() === 0
// Under CI=true not being root is a failure, never a skip.
const skip = !ROOT && process.env.CI !== 'true' ? 'needs root: workers switch accounts' : false
const NEIGHBOUR = fileURLToPath(new URL('./fixtures/neighbour.py', import.meta.url))
const PYTHON = '/usr/bin/python3'

interface Probe { environ: number[], maps: number[], sockets: string[], signalled: number[], written: string[], uid: number, groups: number[] }

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function uidOf (pid: number): Promise<number> {
  return Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'latin1'))?.[1])
}

test('transient uids: a hostile exec worker cannot read, reach, signal or leave anything behind for another session\'s worker', { skip }, async (t) => {
  assert.ok(ROOT)
  // No runAs under a root supervisor: each worker gets a transient uid of its own.
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'n', kind: 'exec', handler: undefined, command: [PYTHON, NEIGHBOUR] })])
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  const mine = JSON.parse((await call(a.id, 'alice', 'n')).text) as { pid: number, uid: number }
  const theirs = JSON.parse((await call(b.id, 'bob', 'n')).text) as { pid: number, uid: number }
  for (const w of [mine, theirs]) {
    assert.ok(w.uid >= DEFAULT_TRANSIENT_RANGE.first && w.uid <= DEFAULT_TRANSIENT_RANGE.last, `uid ${w.uid} is a transient one`)
  }
  assert.notEqual(mine.uid, theirs.uid, 'no two live workers share a uid')

  const probe = JSON.parse((await call(a.id, 'alice', 'n', `/probe?pids=${theirs.pid}`)).text) as Probe
  assert.deepEqual(probe.environ, [], 'the other worker\'s environment (its session id and store token) is unreadable')
  assert.deepEqual(probe.maps, [], 'so is its memory')
  assert.deepEqual(probe.signalled, [], 'it cannot be signalled')
  assert.deepEqual(probe.sockets, [], 'no other worker\'s socket accepts a connection')
  assert.deepEqual(probe.groups.filter(g => g !== probe.uid), [], 'no supplementary groups')
  // Its /tmp, /var/tmp, /dev/shm and /run/lock are its own; nothing else on the host is writable.
  assert.deepEqual(probe.written.filter(p => !['/tmp', '/var/tmp', '/dev/shm', '/run/lock'].includes(p)), [])
  const listing = JSON.parse((await call(b.id, 'bob', 'n', '/listing')).text) as { tmp: string[], home: string }
  assert.deepEqual(listing.tmp.filter(f => f.startsWith('neighbour-')), [], 'what one worker left in /tmp the other never sees')
  assert.equal(listing.home, '/tmp', 'its home is its private directory')

  // A helper that daemonised itself out of the worker's process group still goes with the worker.
  const { helper } = JSON.parse((await call(a.id, 'alice', 'n', '/daemonise')).text) as { helper: number }
  assert.ok(alive(helper))
  assert.equal(await uidOf(helper), mine.uid)
  await supervisor.stopSession(a.id)
  await eventually(() => !alive(helper), 'the daemonised helper was killed with its worker')
  assert.ok(alive(theirs.pid), 'the other session\'s worker is untouched')
})

test('a fixed account is one trust domain, yet a process worker never keeps its session\'s secrets where that account can read them', { skip }, async (t) => {
  const nobody = { user: 'nobody' }
  const { store, call } = await setupKinds(t, [
    realm({ name: 'n', kind: 'exec', handler: undefined, command: [PYTHON, NEIGHBOUR], runAs: nobody }),
    realm({ name: 'p', kind: 'process', handler: fixture('whoami.ts'), runAs: nobody })
  ])
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  const target = JSON.parse((await call(b.id, 'bob', 'p')).text) as { pid: number, uid: number }
  const probe = JSON.parse((await call(a.id, 'alice', 'n', `/probe?pids=${target.pid}`)).text) as Probe
  assert.equal(probe.uid, target.uid, 'both run as nobody')
  // The session id and store token reach a process worker over its IPC channel, and the runtime
  // is not dumpable once it dropped to its account: /proc/PID/environ and its memory stay closed.
  assert.deepEqual(probe.environ, [])
  assert.deepEqual(probe.maps, [])
})

test('a worker gets no descriptor its supervisor inherited, runs with no-new-privileges, and a root supervisor runs none as root unless told', { skip }, async (t) => {
  // A launcher that leaves a descriptor open (not close-on-exec) for its child, as a careless one does.
  const script = `
    import { MemoryStore } from '@sessiond/session-store'
    import pino from 'pino'
    import { Supervisor, workerRealm } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)}
    const store = new MemoryStore()
    const realms = [
      workerRealm({ name: 'n', kind: 'exec', command: [${JSON.stringify(PYTHON)}, ${JSON.stringify(NEIGHBOUR)}] }),
      workerRealm({ name: 'r', kind: 'exec', command: [${JSON.stringify(PYTHON)}, ${JSON.stringify(NEIGHBOUR)}], runAs: { user: 'root' } })
    ]
    const supervisor = new Supervisor({ realms, store, logger: pino({ level: 'silent' }) })
    const s = await store.create('alice', 60_000)
    const out = {}
    for (const realm of ['n', 'r']) {
      const res = await supervisor.dispatch({ identity: { sessionId: s.id, user: 'alice' }, realm, method: 'GET', url: 'http://x/self', headers: ['x-try-read', '/etc/shadow'], body: null })
      out[realm] = JSON.parse(Buffer.from(res.body).toString())
    }
    console.log(JSON.stringify(out))
    await supervisor.close()
    await store.close()
  `
  const child = spawn('/bin/bash', ['-c', 'exec 251</dev/null; exec "$0" --input-type=module -e "$1"', process.execPath, script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.after(() => child.kill('SIGKILL'))
  let stdout = ''
  child.stdout.on('data', (d) => { stdout += d })
  await once(child, 'exit')
  const out = JSON.parse(stdout) as Record<string, { fds: number[], noNewPrivs: string, uid: number, read: Record<string, unknown> }>
  for (const realm of ['n', 'r']) {
    assert.ok(!out[realm].fds.includes(251), `realm ${realm}: the launcher's descriptor did not reach the worker (${out[realm].fds})`)
    assert.equal(out[realm].noNewPrivs, '1', `realm ${realm}: no-new-privileges is set`)
  }
  assert.notEqual(out.n.uid, 0, 'without runAs a root supervisor runs its worker under a transient uid')
  assert.notEqual(out.n.read['/etc/shadow'], 'read', 'which cannot read what only root can')
  assert.equal(out.r.uid, 0, 'runAs root, said in so many words, is root')
})

test('a private /tmp still shows the worker its own code when that lies under /tmp (a checkout there), read-only, and nothing else of the host\'s /tmp', { skip }, async (t) => {
  assert.ok(ROOT)
  const code = await mkdtemp('/tmp/sd-code-')
  const other = await mkdtemp('/tmp/sd-other-')
  t.after(() => Promise.all([rm(code, { recursive: true, force: true }), rm(other, { recursive: true, force: true })]))
  await chmod(code, 0o755)
  const script = join(code, 'neighbour.py')
  await copyFile(NEIGHBOUR, script)
  await writeFile(join(other, 'secret'), 'not yours')
  const { store, call } = await setupKinds(t, [realm({ name: 'n', kind: 'exec', handler: undefined, command: [PYTHON, script] })])
  const s = await store.create('alice', 60_000)
  const answer = await call(s.id, 'alice', 'n', '/listing')
  assert.equal(answer.status, 200, answer.text)
  const { tmp } = JSON.parse(answer.text) as { tmp: string[] }
  assert.ok(tmp.includes(basename(code)), `its code's directory is there: ${tmp.join(' ')}`)
  assert.ok(!tmp.includes(basename(other)), 'the rest of the host\'s /tmp is not')
})
