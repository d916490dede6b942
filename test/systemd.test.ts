// docs/deploy/sessiond.service as systemd reads it (systemd-analyze verify,
// which needs no running systemd), and the readiness it promises: started
// with a NOTIFY_SOCKET, sessiond sends READY=1 for its own pid once it listens.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { CLI, ROOT } from './helpers/daemon.ts'
import { spawnDaemon } from './helpers/spawn-daemon.ts'
import { findBinary, skipUnlessInstalled } from './helpers/system-binary.ts'

const UNIT = join(ROOT, 'docs/deploy/sessiond.service')
const NOTIFY = fileURLToPath(new URL('./fixtures/notify-socket.py', import.meta.url))

/**
 * A root directory for `systemd-analyze verify --root`: the system's own unit
 * files, and the commands the unit runs, so that verify checks them where
 * the unit says they are (/usr/local/bin/sessiond, /bin/kill) without this
 * machine having sessiond installed.
 */
async function verifyRoot (unitText: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sessiond-systemd-'))
  await mkdir(join(root, 'usr/local/bin'), { recursive: true })
  await mkdir(join(root, 'usr/bin'), { recursive: true })
  await mkdir(join(root, 'etc/systemd/system'), { recursive: true })
  await mkdir(join(root, 'usr/lib/systemd'), { recursive: true })
  await writeFile(join(root, 'usr/local/bin/sessiond'), '#!/bin/sh\n')
  await chmod(join(root, 'usr/local/bin/sessiond'), 0o755)
  await copyFile('/usr/bin/kill', join(root, 'usr/bin/kill'))
  await symlink('usr/bin', join(root, 'bin'))
  await cp('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true })
  await writeFile(join(root, 'etc/systemd/system/sessiond.service'), unitText)
  return root
}

function verify (root: string): { status: number | null, stderr: string } {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, '/etc/systemd/system/sessiond.service'], { encoding: 'utf8' })
  return { status: r.status, stderr: r.stderr.trim() }
}

test('systemd-analyze verify accepts docs/deploy/sessiond.service without a warning, and would catch a mistake', { skip: skipUnlessInstalled('systemd-analyze', 'systemd') }, async (t) => {
  const text = await readFile(UNIT, 'utf8')
  assert.match(text, /^Type=notify$/m)
  assert.match(text, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m)
  assert.match(text, /^ExecStart=\/usr\/local\/bin\/sessiond start /m, 'the installed command')
  const good = await verifyRoot(text)
  t.after(() => rm(good, { recursive: true, force: true }))
  assert.deepEqual(verify(good), { status: 0, stderr: '' })
  // The same check on a unit with a misspelt key and a bad value: verify must say so.
  const bad = await verifyRoot(text.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes').replace('RestrictNamespaces=mnt', 'RestrictNamespaces=nosuch'))
  t.after(() => rm(bad, { recursive: true, force: true }))
  const out = verify(bad).stderr
  assert.match(out, /Unknown key( name)? 'NoNewPrivilege'/)
  assert.match(out, /Failed to parse namespace type string, ignoring: nosuch/)
})

test('with NOTIFY_SOCKET, sessiond tells systemd READY=1 for its own pid once it listens', { skip: skipUnlessInstalled('systemd-notify', 'systemd') || (findBinary('python3') ? false : 'python3 is missing') }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-notify-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const socket = join(dir, 'notify.sock')
  const listener = spawn('python3', [NOTIFY, socket], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => { listener.kill() })
  const lines = createInterface({ input: listener.stdout! })
  const received: string[] = []
  lines.on('line', l => received.push(l))
  await once(lines, 'line')
  const config = join(dir, 'sessiond.json')
  await writeFile(config, JSON.stringify({ log: { level: 'warn' }, realms: [] }))
  const d = await spawnDaemon(t, process.execPath, [CLI, 'start', '--config', config, '--listen', '127.0.0.1:0', '--data', join(dir, 'data')], { env: { ...process.env, NOTIFY_SOCKET: socket } })
  assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  for (let i = 0; i < 100 && !received.some(l => l.startsWith('READY=1')); i++) await new Promise(resolve => setTimeout(resolve, 50))
  const ready = received.find(l => l.startsWith('READY=1'))
  assert.ok(ready, `received: ${JSON.stringify(received)}\n${d.output()}`)
  assert.match(ready, /STATUS=listening/)
  assert.match(ready, /MAINPID=\d+/)
  assert.ok(!d.output().includes('could not tell systemd'), d.output())
})
