import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envOverrides } from '../src/cli/start.ts'
import { loadConfig } from '../src/config.ts'

async function configFile (t: TestContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-store-config-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'sessiond.yaml')
  await writeFile(file, text)
  return file
}

test('store.kind redis takes its url and an optional line-protocol address', async (t) => {
  const file = await configFile(t, 'store: { kind: redis, url: "redis://127.0.0.1:6379/2", protocolListen: "127.0.0.1:7777" }\n')
  const cfg = loadConfig(file)
  assert.deepEqual({ ...cfg.store }, { kind: 'redis', url: 'redis://127.0.0.1:6379/2', protocolListen: '127.0.0.1:7777' })
})

test('SESSIOND_STORE_URL moves the store to that Redis, whatever the file says', async (t) => {
  const file = await configFile(t, 'store: { kind: sqlite, protocolListen: "127.0.0.1:7777" }\n')
  const overrides = envOverrides({ SESSIOND_STORE_URL: 'redis://10.0.0.5:6379' })
  assert.deepEqual(overrides, { storeUrl: 'redis://10.0.0.5:6379' })
  const cfg = loadConfig(file, overrides)
  assert.deepEqual({ ...cfg.store }, { kind: 'redis', url: 'redis://10.0.0.5:6379', protocolListen: '127.0.0.1:7777' })
})

test('redis without a url, or a url that is not redis://, is refused naming the path', async (t) => {
  const bare = await configFile(t, 'store: { kind: redis }\n')
  assert.throws(() => loadConfig(bare), /\/store\/url: expected a redis:\/\/ URL/)
  const http = await configFile(t, 'store: { kind: redis, url: "http://x" }\n')
  assert.throws(() => loadConfig(http), /\/store\/url: expected a redis:\/\/ or rediss:\/\/ URL/)
})

test('protocolListen takes a bare port (loopback) or HOST:PORT, and nothing else', async (t) => {
  assert.equal(loadConfig(await configFile(t, 'store: { protocolListen: "7777" }\n')).store.protocolListen, '7777')
  const bad = await configFile(t, 'store: { protocolListen: "anywhere" }\n')
  assert.throws(() => loadConfig(bad), /\/store\/protocolListen: expected PORT \(on 127\.0\.0\.1\) or HOST:PORT/)
})

test('protocolListen written as the README writes it, a bare YAML number, is a loopback port', async (t) => {
  assert.equal(loadConfig(await configFile(t, 'store: { protocolListen: 7777 }\n')).store.protocolListen, '7777')
  assert.equal(loadConfig(await configFile(t, 'store:\n  protocolListen: 7777\n')).store.protocolListen, '7777')
  const over = await configFile(t, 'store: { protocolListen: 70000 }\n')
  assert.throws(() => loadConfig(over), /\/store\/protocolListen: expected PORT \(on 127\.0\.0\.1\) or HOST:PORT/)
})

test('the store stays sqlite with no line protocol by default', async (t) => {
  const cfg = loadConfig(await configFile(t, '{}\n'))
  assert.deepEqual({ ...cfg.store }, { kind: 'sqlite' })
})

test('protocolAuth names a secret file and protocolLimits bounds the line protocol; a limit below 1 is refused naming the path', async (t) => {
  const cfg = loadConfig(await configFile(t, 'store: { protocolListen: "7777", protocolAuth: protocol.secret, protocolLimits: { connectionsPerAddress: 8, newPerSecond: 50 } }\n'))
  assert.equal(cfg.store.protocolAuth, 'protocol.secret')
  assert.deepEqual({ ...cfg.store.protocolLimits }, { connectionsPerAddress: 8, newPerSecond: 50 })
  const bad = await configFile(t, 'store: { protocolLimits: { newPerSecond: 0 } }\n')
  assert.throws(() => loadConfig(bad), /\/store\/protocolLimits\/newPerSecond: expected an integer >= 1/)
})
