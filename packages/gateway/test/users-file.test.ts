import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UsersFile } from '../src/users-file.ts'

const cost = { ln: 10, r: 8, p: 1 }
const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c

async function usersPath (t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-users-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'users.json')
}

test('an added user verifies with the right password only', async (t) => {
  const users = new UsersFile(await usersPath(t))
  assert.equal(await users.has('alice'), false)
  await users.add('alice', 'wonderland-42', { cost })
  assert.equal(await users.has('alice'), true)
  assert.equal(await users.verify('alice', 'wonderland-42'), 'alice')
  assert.equal(await users.verify('alice', 'wonderland-43'), null)
})

test('the file is written with mode 0600 and holds hashes, not passwords', async (t) => {
  const path = await usersPath(t)
  await new UsersFile(path).add('alice', 'wonderland-42', { cost })
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  const text = await readFile(path, 'utf8')
  assert.doesNotMatch(text, /wonderland-42/)
  assert.match(JSON.parse(text).users.alice.password, /^\$scrypt\$ln=10,/)
})

test('adding an existing user fails with GW_ERR_USER_EXISTS unless replace is set', async (t) => {
  const users = new UsersFile(await usersPath(t))
  await users.add('alice', 'first-password', { cost })
  await assert.rejects(users.add('alice', 'second-password', { cost }), code('GW_ERR_USER_EXISTS'))
  assert.equal(await users.verify('alice', 'first-password'), 'alice')
  await users.add('alice', 'second-password', { cost, replace: true })
  assert.equal(await users.verify('alice', 'second-password'), 'alice')
  assert.equal(await users.verify('alice', 'first-password'), null)
})

test('a name that is not a portable account name fails with GW_ERR_INVALID_USER_NAME', async (t) => {
  const path = await usersPath(t)
  const users = new UsersFile(path)
  for (const name of ['', 'Alice', '1alice', 'al ice', 'al/ice', '../etc', '-x', 'a'.repeat(33), 'alicé', '__proto__x!']) {
    await assert.rejects(users.add(name, 'long enough password', { cost }), code('GW_ERR_INVALID_USER_NAME'), JSON.stringify(name))
  }
  await users.add('_svc.backup-2', 'long enough password', { cost })
  await users.add('a'.repeat(32), 'long enough password', { cost })
  assert.equal(await users.has('_svc.backup-2'), true)
})

test('a password outside 8 to 1024 bytes fails with GW_ERR_PASSWORD_POLICY', async (t) => {
  const users = new UsersFile(await usersPath(t))
  for (const password of ['', 'short', '1234567', 'ééé', 'x'.repeat(1025), 'é'.repeat(513)]) {
    await assert.rejects(users.add('alice', password, { cost }), code('GW_ERR_PASSWORD_POLICY'), `${password.length} chars`)
  }
  assert.equal(await users.has('alice'), false)
  await users.add('alice', '12345678', { cost })
  await users.add('bob', 'x'.repeat(1024), { cost })
  assert.equal(await users.verify('bob', 'x'.repeat(1024)), 'bob')
})

test('an unknown user verifies to null, with or without a users file', async (t) => {
  const users = new UsersFile(await usersPath(t))
  assert.equal(await users.verify('nobody', 'whatever-password'), null)
  await users.add('alice', 'wonderland-42', { cost })
  assert.equal(await users.verify('nobody', 'wonderland-42'), null)
  assert.equal(await users.verify('Not A Name', 'wonderland-42'), null)
})

test('a change made on disk by another instance is picked up', async (t) => {
  const path = await usersPath(t)
  const writer = new UsersFile(path)
  const reader = new UsersFile(path)
  assert.equal(await reader.has('alice'), false)
  await writer.add('alice', 'wonderland-42', { cost })
  assert.equal(await reader.verify('alice', 'wonderland-42'), 'alice')
  await writer.add('bob', 'builder-1234', { cost })
  assert.equal(await reader.has('bob'), true)
  await writer.add('alice', 'new-password-1', { cost, replace: true })
  assert.equal(await reader.verify('alice', 'new-password-1'), 'alice')
  assert.equal(await reader.verify('alice', 'wonderland-42'), null)
})

test('a rewrite within the same timestamp tick is picked up too', async (t) => {
  // File timestamps are coarse (a few ms on ext4): two quick writes can share
  // an mtime. Pinning the mtime makes that race happen every time.
  const path = await usersPath(t)
  const writer = new UsersFile(path)
  const reader = new UsersFile(path)
  const tick = Math.floor(Date.now() / 1000)
  await writer.add('alice', 'wonderland-42', { cost })
  await utimes(path, tick, tick)
  assert.equal(await reader.verify('alice', 'wonderland-42'), 'alice')
  await writer.add('alice', 'new-password-1', { cost, replace: true })
  await utimes(path, tick, tick)
  assert.equal(await reader.verify('alice', 'wonderland-42'), null, 'the replaced password must stop working')
  assert.equal(await reader.verify('alice', 'new-password-1'), 'alice')
})

test('names that are also object property names are ordinary users', async (t) => {
  const path = await usersPath(t)
  const writer = new UsersFile(path)
  assert.equal(await writer.has('constructor'), false)
  await writer.add('__proto__', 'password-123', { cost })
  await writer.add('constructor', 'password-123', { cost })
  const reader = new UsersFile(path)
  assert.equal(await reader.verify('__proto__', 'password-123'), '__proto__')
  assert.equal(await reader.verify('constructor', 'password-123'), 'constructor')
  assert.equal(await reader.has('tostring'), false)
})
