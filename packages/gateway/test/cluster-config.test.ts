import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { clusterOverrides } from '../src/cli/cluster-overrides.ts'
import { readClusterAuth } from '../src/cluster-auth-files.ts'
import { createHostCert } from '../src/cluster-cert.ts'
import { loadConfig } from '../src/config.ts'
import { startDaemon } from '../src/daemon.ts'
import { createSelfSignedCert } from '../src/self-signed-cert.ts'

async function dirFor (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cluster-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function configFile (t: TestContext, text: string): Promise<string> {
  const file = join(await dirFor(t), 'sessiond.yaml')
  await writeFile(file, text)
  return file
}

const CLUSTER = 'cluster: { redis: "redis://:pw@10.0.0.5:6379", auth: { mode: hmac, secret: cluster.secret } }\n'

test('a cluster section puts the store in its Redis, takes its defaults, and resolves its files beside the config', async (t) => {
  const file = await configFile(t, CLUSTER)
  const cfg = loadConfig(file)
  assert.deepEqual({ kind: cfg.store.kind, url: cfg.store.url }, { kind: 'redis', url: 'redis://:pw@10.0.0.5:6379' })
  assert.deepEqual({ ...cfg.cluster, auth: { ...cfg.cluster!.auth } }, {
    redis: 'redis://:pw@10.0.0.5:6379',
    listen: '0.0.0.0:7100',
    auth: { mode: 'hmac', secret: join(file, '..', 'cluster.secret') },
    lease: 2000,
    hold: 10_000,
    capacity: 1000,
    moveWait: 10_000
  })
  assert.equal(loadConfig(await configFile(t, 'realms: []\n')).cluster, undefined, 'no section, no cluster')
})

test('a host\'s own part of a shared cluster file comes from its flags, then SESSIOND_HOST and SESSIOND_ADVERTISE', async (t) => {
  const file = await configFile(t, CLUSTER)
  const env = { SESSIOND_HOST: 's2', SESSIOND_ADVERTISE: 'http://10.0.0.12:7100' }
  const cfg = loadConfig(file, clusterOverrides(env, { clusterListen: '10.0.0.12:7100' }))
  assert.deepEqual([cfg.cluster!.host, cfg.cluster!.listen, cfg.cluster!.advertise], ['s2', '10.0.0.12:7100', 'http://10.0.0.12:7100'])
  assert.equal(loadConfig(file, clusterOverrides(env, { host: 's3' })).cluster!.host, 's3', 'a flag wins over the environment')
})

test('a cluster section with another store, or a bad key, is refused naming the path and what was expected', async (t) => {
  const sqlite = await configFile(t, `${CLUSTER}store: { kind: sqlite }\n`)
  assert.throws(() => loadConfig(sqlite), /\/store\/kind: expected "redis" \(or nothing\) with a cluster section, got "sqlite"/)
  const other = await configFile(t, `${CLUSTER}store: { kind: redis, url: "redis://10.0.0.9:6379" }\n`)
  const err = (() => { try { loadConfig(other) } catch (e) { return e as Error } })()!
  assert.match(err.message, /\/store\/url: expected cluster.redis \(redis:\/\/:\*\*\*@10.0.0.5:6379\) or nothing/)
  assert.doesNotMatch(err.message, /:pw@/, 'never the password')
  const auth = await configFile(t, 'cluster: { redis: "redis://10.0.0.5:6379", auth: { mode: token }, host: "Bad Host", lease: soon }\n')
  assert.throws(() => loadConfig(auth), (e: Error) => /\/cluster\/auth: expected \{ mode: mtls, ca, cert, key \}/.test(e.message) &&
    /\/cluster\/host: expected a host id/.test(e.message) && /\/cluster\/lease: expected a duration/.test(e.message))
})

test('sessiond start refuses a cluster\'s file: one process would serve sessions outside the cluster\'s fences', async (t) => {
  const file = await configFile(t, CLUSTER)
  await assert.rejects(startDaemon(loadConfig(file), pino({ level: 'silent' })), /has a cluster section: run sessiond supervisor and sessiond gateway/)
})

test('cluster auth files: a secret others can read or a short one is refused; a certificate must be of the role (and host) it serves', async (t) => {
  const dir = await dirFor(t)
  const secret = join(dir, 'cluster.secret')
  await writeFile(secret, 'x'.repeat(48) + '\n', { mode: 0o644 })
  const hmac = { redis: 'redis://r:6379', listen: '0.0.0.0:7100', lease: 2000, hold: 10_000, capacity: 1000, moveWait: 10_000, auth: { mode: 'hmac' as const, secret } }
  await assert.rejects(readClusterAuth(hmac, 'sessiond-gateway'), /cluster.auth.secret .*mode 644 lets others read it/)
  await chmod(secret, 0o600)
  assert.deepEqual(await readClusterAuth(hmac, 'sessiond-gateway'), { mode: 'hmac', secret: Buffer.from('x'.repeat(48)) })
  await writeFile(secret, 'short\n', { mode: 0o600 })
  await assert.rejects(readClusterAuth(hmac, 'sessiond-gateway'), /expected at least 32 bytes/)

  const ca = await createSelfSignedCert({ outDir: join(dir, 'ca'), names: ['sessiond-cluster'], ca: true })
  const s1 = await createHostCert({ caDir: join(dir, 'ca'), role: 'supervisor', host: 's1', names: ['10.0.0.11'], outDir: join(dir, 'certs') })
  const mtls = { ...hmac, auth: { mode: 'mtls' as const, ca: ca.ca!, cert: s1.cert, key: s1.key } }
  const read = await readClusterAuth(mtls, 'sessiond-supervisor', 's1')
  assert.equal(read.mode, 'mtls')
  await assert.rejects(readClusterAuth(mtls, 'sessiond-gateway'), /expected a certificate for a gateway \(OU=sessiond-gateway\), got OU=sessiond-supervisor/)
  await assert.rejects(readClusterAuth(mtls, 'sessiond-supervisor', 's2'), /expected a certificate for host s2 \(CN=s2\), got CN=s1/)
})
