// Children never outlive their supervisor (issue 15, finding 8): not after a
// kill -9 of the daemon, not after a SIGTERM whatever state its workers are in.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getJson, ROOT, startDaemon } from './helpers/daemon.ts'

const NEIGHBOUR = join(ROOT, 'packages/supervisor/test/fixtures/neighbour.py')
const NOTES = join(ROOT, 'examples/python-notes/app.py')
const PYTHON = '/usr/bin/python3'
const skip = process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'needs root: workers run under transient uids' : false

/** Running: a zombie (dead, not yet reaped by an init that may never reap it) counts as gone. */
function alive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function eventually (check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Every process descended from `root`, from /proc's parent links. */
async function descendants (root: number): Promise<number[]> {
  const parent = new Map<number, number>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '')
    if (stat) parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
  }
  const out: number[] = []
  const visit = (p: number) => {
    for (const [child, ppid] of parent) if (ppid === p) { out.push(child); visit(child) }
  }
  visit(root)
  return out
}

const realms = [
  { name: 'n', mount: '/n', kind: 'exec', handler: undefined, command: [PYTHON, NEIGHBOUR] },
  { name: 'notes', mount: '/notes', kind: 'exec', handler: undefined, command: [PYTHON, NOTES] }
]

test('a daemon killed with kill -9 takes its workers with it; the next start kills what they left behind', { skip }, async (t) => {
  // The data directory both daemons use: the test's own, so that neither's clean-up removes it under the other.
  const dataDir = await mkdtemp(join(tmpdir(), 'sd-cleanup-'))
  t.after(() => rm(dataDir, { recursive: true, force: true, maxRetries: 5 }))
  const first = await startDaemon(t, { realms, dataDir })
  const cookie = await first.login('alice', 'alice-password')
  const worker = (await getJson(first.url + '/n/', cookie)).body.pid as number
  const inGroup = (await getJson(first.url + '/n/helper', cookie)).body.helper as number
  const daemonised = (await getJson(first.url + '/n/daemonise', cookie)).body.helper as number
  first.child.kill('SIGKILL')
  await once(first.child, 'exit')
  await eventually(() => !alive(worker), 'the worker died with its supervisor')
  // What the worker started outlives the crash, until a supervisor starts on the same data directory.
  assert.ok(alive(inGroup) && alive(daemonised))
  await startDaemon(t, { realms, dataDir })
  await eventually(() => !alive(inGroup), 'the next start killed the helper in the worker\'s process group')
  await eventually(() => !alive(daemonised), 'and the one that had daemonised itself under the worker\'s uid')
})

test('after SIGTERM no child of the daemon is left, whatever its workers were doing', { skip }, async (t) => {
  const d = await startDaemon(t, {
    realms: [
      ...realms,
      // A spare waiting for a session, and a worker that never listens, still starting at the signal.
      { name: 'spare', mount: '/spare', kind: 'process', spares: 1 },
      { name: 'deaf', mount: '/deaf', kind: 'exec', handler: undefined, command: ['/bin/sleep', '300'], startTimeout: '60s' }
    ]
  })
  const cookie = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/n/', cookie)).status, 200)
  const inGroup = (await getJson(d.url + '/n/helper', cookie)).body.helper as number
  assert.equal((await getJson(d.url + '/notes/', cookie)).status, 200)
  // A request whose body never comes: the notes worker blocks reading what it was promised.
  const { port, hostname } = new URL(d.url)
  const stuck = connect(Number(port), hostname)
  t.after(() => stuck.destroy())
  await once(stuck, 'connect')
  stuck.write(`POST /notes/ HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${cookie}\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\nhalf a note`)
  void getJson(d.url + '/deaf/', cookie).catch(() => undefined)
  await new Promise(resolve => setTimeout(resolve, 500))
  const children = [...await descendants(d.child.pid!), inGroup]
  assert.ok(children.length >= 4, `workers are running (${children.length})`)
  d.child.kill('SIGTERM')
  await once(d.child, 'exit')
  await eventually(() => children.every(p => !alive(p)), `every child is gone (left: ${children.filter(alive)})`, 15_000)
})
