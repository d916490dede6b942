import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COOKIE_KEY_BYTES, loadCookieKeys, rotateCookieKeys } from '../src/cookie-key.ts'

const keyFileError = (err: unknown) => (err as { code?: string }).code === 'GW_ERR_KEY_FILE'

async function dataDir (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-key-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('the first start creates a 32-byte key with mode 0600; later starts read the same key', async (t) => {
  const dir = await dataDir(t)
  const [key] = await loadCookieKeys(dir)
  assert.equal(key.length, COOKIE_KEY_BYTES)
  assert.equal(COOKIE_KEY_BYTES, 32)
  assert.equal((await stat(join(dir, 'cookie.key'))).mode & 0o777, 0o600)
  assert.deepEqual((await loadCookieKeys(dir))[0], key)
  assert.notDeepEqual((await loadCookieKeys(await dataDir(t)))[0], key, 'each data directory gets its own random key')
})

test('a key file that others can read fails with GW_ERR_KEY_FILE', async (t) => {
  const dir = await dataDir(t)
  await writeFile(join(dir, 'cookie.key'), Buffer.alloc(COOKIE_KEY_BYTES, 1), { mode: 0o644 })
  await assert.rejects(loadCookieKeys(dir), (err: Error) => keyFileError(err) && /mode 644/.test(err.message))
})

test('a key file of the wrong size fails with GW_ERR_KEY_FILE', async (t) => {
  const dir = await dataDir(t)
  await writeFile(join(dir, 'cookie.key'), Buffer.alloc(16, 1), { mode: 0o600 })
  await assert.rejects(loadCookieKeys(dir), (err: Error) => keyFileError(err) && /16 bytes/.test(err.message))
})

test('a data directory that does not exist fails with GW_ERR_KEY_FILE', async (t) => {
  const dir = await dataDir(t)
  await assert.rejects(loadCookieKeys(join(dir, 'missing')), keyFileError)
})

test('rotate puts a new key first and keeps the given number of keys', async (t) => {
  const dir = await dataDir(t)
  const [original] = await loadCookieKeys(dir)
  const after = await rotateCookieKeys(dir)
  assert.equal(after.length, 2)
  assert.deepEqual(after[1], original)
  assert.notDeepEqual(after[0], original)
  assert.deepEqual(await loadCookieKeys(dir), after)
  assert.deepEqual((await loadCookieKeys(dir))[0], after[0], 'the newest key seals')
  assert.equal((await stat(join(dir, 'cookie.key'))).mode & 0o777, 0o600)
  const third = await rotateCookieKeys(dir, 2)
  assert.deepEqual(third[1], after[0])
  assert.equal((await loadCookieKeys(dir)).some(k => k.equals(original)), false, 'the oldest key fell off')
})
