// The CLI against a running daemon over its control socket: status as text
// and JSON, workers stop, sessions end, reload and stop; users and their
// groups in the users file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { getJson, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

test('status, workers stop, sessions end, reload and stop reach the daemon over a 0600 control socket', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab' }, { name: 'other', mount: '/other' }] })
  const sessiond = (...args: string[]) => runCli([...args, '--data', d.dataDir], { killAfterMs: 30_000 })
  const socket = await stat(join(d.dataDir, 'control.sock'))
  assert.ok(socket.isSocket())
  assert.equal(socket.mode & 0o777, 0o600, 'only the daemon\'s user (and root)')

  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  for (const [c, realm] of [[alice, 'lab'], [alice, 'other'], [bob, 'lab']]) assert.equal((await getJson(`${d.url}/${realm}/count`, c)).status, 200)

  const text = await sessiond('status')
  assert.equal(text.code, 0, text.output)
  assert.match(text.stdout, /^realm lab \(thread\): 2 ready; queued 0$/m)
  assert.match(text.stdout, /^ {2}thread \d+ +alice +ready /m, 'each worker: thread, user, state, …')
  assert.match(text.stdout, /^total: 3 workers, 0 requests in flight/m)
  const json = JSON.parse((await sessiond('status', '--json')).stdout)
  assert.equal(json.sessions, 2)
  assert.deepEqual(json.workers.map((w: any) => [w.realm, w.user, w.state, w.kind]).sort(), [['lab', 'alice', 'ready', 'thread'], ['lab', 'bob', 'ready', 'thread'], ['other', 'alice', 'ready', 'thread']])

  const stopped = await sessiond('workers', 'stop', 'alice', 'lab')
  assert.equal(stopped.code, 0, stopped.output)
  assert.match(stopped.stdout, /^stopped alice's lab worker \(ready, session [A-Za-z0-9_-]{10}\)$/m)
  const left = JSON.parse((await sessiond('status', '--json')).stdout).workers.map((w: any) => `${w.user} ${w.realm}`).sort()
  assert.deepEqual(left, ['alice other', 'bob lab'])
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1, 'still logged in; a fresh worker')

  const ended = await sessiond('sessions', 'end', 'alice')
  assert.match(ended.stdout, /^ended 1 session of alice$/m)
  assert.equal((await getJson(d.url + '/other/count', alice)).status, 401)
  assert.equal((await getJson(d.url + '/lab/count', bob)).status, 200, 'bob is untouched')

  const reloaded = await sessiond('reload')
  assert.equal(reloaded.code, 0, reloaded.output)
  assert.match(reloaded.stdout, /^reloaded .*sessiond\.json: added none; changed none; removed none$/m)

  const exit = once(d.child, 'exit')
  const stop = await sessiond('stop')
  assert.match(stop.stdout, /sessiond: stopping/)
  assert.deepEqual(await exit, [0, null], 'the daemon stops cleanly')
  const gone = await sessiond('status')
  assert.notEqual(gone.code, 0)
  assert.match(gone.stderr, /no sessiond (serves|answers)/)
})

test('user list, groups and remove manage the users file (and log.pretty writes lines for a terminal)', async (t) => {
  const d = await startDaemon(t, { extra: { log: { level: 'info', pretty: true } } })
  const sessiond = (...args: string[]) => runCli([...args, '--data', d.dataDir])
  assert.deepEqual((await sessiond('user', 'list')).stdout.split('\n').filter(Boolean), ['alice\t', 'bob\t'])
  assert.equal((await sessiond('user', 'groups', 'alice', '--add', 'admin', '--add', 'staff')).stdout.trim(), 'alice\tadmin,staff')
  assert.equal((await sessiond('user', 'groups', 'alice', '--remove', 'staff')).stdout.trim(), 'alice\tadmin')
  assert.equal((await sessiond('user', 'groups', 'alice')).stdout.trim(), 'alice\tadmin')
  // The running daemon sees the new group at once: alice is an admin now.
  const alice = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/_sessiond/admin/api/v1/whoami', alice)).body.who, 'user:alice')
  const bad = await sessiond('user', 'groups', 'alice', '--add', 'no spaces')
  assert.notEqual(bad.code, 0)
  const removed = await sessiond('user', 'remove', 'bob')
  assert.equal(removed.code, 0, removed.output)
  assert.deepEqual((await sessiond('user', 'list')).stdout.split('\n').filter(Boolean), ['alice\tadmin'])
  assert.equal((await d.login('bob', 'bob-password').catch(() => 'refused')), 'refused')
  assert.notEqual((await sessiond('user', 'remove', 'bob')).code, 0)
  const login = d.output().split('\n').find(l => l.endsWith(': login'))
  assert.ok(login, d.output())
  assert.match(login, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/, 'pino-pretty\'s line, not JSON')
  assert.ok(!d.output().includes('alice-password'))
})
