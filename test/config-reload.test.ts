import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { getJson, startDaemon } from './helpers/daemon.ts'
import type { RunningDaemon } from './helpers/daemon.ts'

const V1 = fileURLToPath(new URL('./fixtures/reload-v1.ts', import.meta.url))
const V2 = fileURLToPath(new URL('./fixtures/reload-v2.ts', import.meta.url))
// Reload lines are logged at info.
const INFO = { log: { level: 'info' } }

function configFileOf (d: RunningDaemon): string {
  const args = d.child.spawnargs
  return args[args.indexOf('--config') + 1]
}

async function editConfig (d: RunningDaemon, edit: (config: any) => void): Promise<void> {
  const file = configFileOf(d)
  const config = JSON.parse(await readFile(file, 'utf8'))
  edit(config)
  await writeFile(file, JSON.stringify(config, null, 2))
}

/** Polls until `probe` gives something truthy. */
async function until<T> (probe: () => T | Promise<T>, what: string, ms = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

function linesWith (d: RunningDaemon, msg: string): string[] {
  return d.output().split('\n').filter(line => line.includes(`"msg":"${msg}`))
}

/** Sends a real SIGHUP and answers the log line that ends the reload. */
async function sighup (d: RunningDaemon, msg: 'config reloaded' | 'config reload failed'): Promise<string> {
  const before = linesWith(d, msg).length
  process.kill(d.child.pid!, 'SIGHUP')
  return until(() => linesWith(d, msg)[before], `a "${msg}" log line`)
}

test('a changed handler serves new sessions at once, while a busy worker keeps its session until it is idle', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'app', mount: '/app', handler: V1 }], extra: INFO })
  const alice = await d.login('alice', 'alice-password')
  const first = await getJson(d.url + '/app/whoami', alice)
  assert.equal(first.body.version, 'v1')
  const held = getJson(d.url + '/app/hold', alice)
  await until(async () => (await getJson(d.url + '/app/whoami', alice)).body.holding === 1, 'the held request to reach the worker')

  await editConfig(d, c => { c.realms[0].handler = V2 })
  const reloaded = await sighup(d, 'config reloaded')
  assert.match(reloaded, /"changed":\["app"\]/)
  assert.match(reloaded, /"drained":\["app"\]/)

  const bob = await d.login('bob', 'bob-password')
  assert.equal((await getJson(d.url + '/app/whoami', bob)).body.version, 'v2', 'a new session gets the new handler')
  const during = await getJson(d.url + '/app/whoami', alice)
  assert.deepEqual([during.body.version, during.body.worker], ['v1', first.body.worker], 'the session keeps its worker while a request is in flight')

  assert.equal((await getJson(d.url + '/app/release', alice)).status, 200)
  const done = await held
  assert.equal(done.status, 200, 'the request in flight across the reload completes')
  assert.deepEqual([done.body.version, done.body.worker], ['v1', first.body.worker])

  const after = await until(async () => {
    const res = await getJson(d.url + '/app/whoami', alice)
    assert.equal(res.status, 200)
    return res.body.version === 'v2' && res.body
  }, 'the idle old worker to give way to the new handler')
  assert.notEqual(after.worker, first.body.worker)
})

test('an invalid config on SIGHUP is refused with its file and key in the log, and the old one keeps serving', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'app', mount: '/app', handler: V1 }], extra: INFO })
  const file = configFileOf(d)
  const alice = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/app/whoami', alice)).body.version, 'v1')

  await editConfig(d, c => { c.realms[0].handler = V2; c.realms[0].idleTimeout = 'soon' })
  const refused = await sighup(d, 'config reload failed')
  assert.ok(refused.includes(file), 'the log names the file')
  assert.match(refused, /\/realms\/0\/idleTimeout: expected a duration/, 'and the key with what was expected')
  assert.equal(d.child.exitCode, null, 'SIGHUP does not stop the daemon')
  const bob = await d.login('bob', 'bob-password')
  assert.equal((await getJson(d.url + '/app/whoami', bob)).body.version, 'v1', 'a new session still gets the old definition')

  await rm(file)
  assert.ok((await sighup(d, 'config reload failed')).includes(`cannot read config ${file}`), 'an unreadable file is refused too')
  assert.equal((await getJson(d.url + '/app/whoami', alice)).status, 200)

  // A failed reload leaves nothing behind: the next good file applies.
  await writeFile(file, JSON.stringify({ log: { level: 'info' }, realms: [{ name: 'app', mount: '/app', handler: V2 }] }))
  assert.match(await sighup(d, 'config reloaded'), /"changed":\["app"\]/)
  await until(async () => (await getJson(d.url + '/app/whoami', alice)).body.version === 'v2', 'the new handler')
})

test('a removed realm answers 404 and a narrowed allow list answers 403 from the next request on', async (t) => {
  const d = await startDaemon(t, {
    realms: [{ name: 'app', mount: '/app', handler: V1 }, { name: 'lab', mount: '/lab', allow: { users: ['alice', 'bob'] } }],
    extra: INFO
  })
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  assert.equal((await getJson(d.url + '/app/whoami', alice)).status, 200)
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1)
  assert.equal((await getJson(d.url + '/lab/count', bob)).status, 200)

  await editConfig(d, c => {
    c.realms = c.realms.filter((r: { name: string }) => r.name !== 'app')
    c.realms[0].allow.users = ['alice']
  })
  const reloaded = await sighup(d, 'config reloaded')
  assert.match(reloaded, /"removed":\["app"\]/)
  assert.match(reloaded, /"changed":\["lab"\]/)
  assert.match(reloaded, /"drained":\["app"\]/, 'an allow change does not replace the realm\'s workers')

  const gone = await getJson(d.url + '/app/whoami', alice)
  assert.equal(gone.status, 404, 'the removed realm is not found, live worker or not')
  assert.equal(gone.body.error, 'GW_ERR_NOT_FOUND')
  const denied = await getJson(d.url + '/lab/count', bob)
  assert.equal(denied.status, 403)
  assert.equal(denied.body.error, 'GW_ERR_FORBIDDEN')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 2, 'alice still reaches lab, in the same worker')
})

test('a reload adds and moves realms without a restart, and names in one warning what needs one', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab' }], extra: INFO })
  const alice = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1)

  await editConfig(d, c => {
    c.realms[0].mount = '/bench'
    c.realms.push({ name: 'extra', mount: '/extra', handler: V2, kind: 'thread' })
    c.session = { maxAge: '1h' }
    c.limits = { requestTimeout: '2m', bodyLimit: '1KiB' }
  })
  const reloaded = await sighup(d, 'config reloaded')
  assert.match(reloaded, /"added":\["extra"\],"changed":\["lab"\]/)
  const warnings = linesWith(d, 'config reload left')
  assert.equal(warnings.length, 1)
  assert.match(warnings[0], /"needsRestart":\["session\.maxAge","limits\.requestTimeout"\]/)
  assert.match(warnings[0], /needs a restart/)

  assert.equal((await getJson(d.url + '/extra/whoami', alice)).body.version, 'v2', 'the new realm answers at its mount')
  const bare = await getJson(d.url + '/extra?x=1', alice)
  assert.equal(bare.status, 308)
  assert.equal(bare.headers.get('location'), '/extra/?x=1')
  assert.equal((await getJson(d.url + '/lab/count', alice)).status, 404, 'the old mount is free')
  assert.equal((await getJson(d.url + '/bench/count', alice)).body.count, 2, 'the moved realm keeps its workers')
  const big = await getJson(d.url + '/bench/upload', alice, { method: 'POST', body: 'x'.repeat(2048) })
  assert.equal(big.status, 413, 'the default body limit applies live')
})

test('a reload that adds a realm whose handler cannot resolve an import is refused, naming the module, and the old config keeps serving', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'app', mount: '/app', handler: V1 }], extra: INFO })
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-reload-missing-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const broken = join(dir, 'handler.ts')
  await writeFile(broken, "import 'no-such-package-here'\nexport default { fetch: () => new Response('never') }\n")
  await editConfig(d, c => { c.realms.push({ name: 'broken', mount: '/broken', handler: broken, kind: 'thread' }) })
  const failed = await sighup(d, 'config reload failed')
  assert.match(failed, /realm broken: handler .*handler\.ts: Cannot find package 'no-such-package-here'/)
  const alice = await d.login('alice', 'alice-password')
  assert.equal((await getJson(d.url + '/broken/', alice)).status, 404, 'the realm was not added')
  assert.equal((await getJson(d.url + '/app/whoami', alice)).body.version, 'v1')
})
