import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hashPassword, verifyPassword } from '../src/password-hash.ts'

// Cheap enough for tests; the OWASP default gets one test of its own.
const CHEAP = { ln: 10, r: 8, p: 1 }

test('a hash verifies its password and no other', async () => {
  const hash = await hashPassword('correct horse battery', CHEAP)
  assert.match(hash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
  assert.equal(await verifyPassword('correct horse battery', hash), true)
  assert.equal(await verifyPassword('correct horse batterY', hash), false)
  assert.equal(await verifyPassword('', hash), false)
})

test('the default cost is OWASP\'s scrypt N=2^17, r=8, p=1', async () => {
  const hash = await hashPassword('correct horse battery')
  assert.match(hash, /^\$scrypt\$ln=17,r=8,p=1\$/)
  assert.equal(await verifyPassword('correct horse battery', hash), true)
})

test('two hashes of one password differ by their salt', async () => {
  const a = await hashPassword('same password', CHEAP)
  const b = await hashPassword('same password', CHEAP)
  assert.notEqual(a, b)
  assert.notEqual(a.split('$')[3], b.split('$')[3])
  assert.equal(await verifyPassword('same password', a), true)
  assert.equal(await verifyPassword('same password', b), true)
})

test('a password verifies whatever its Unicode normalization', async () => {
  const composed = 'caf\u00e9 passphrase'
  const decomposed = 'cafe\u0301 passphrase'
  const hash = await hashPassword(composed, CHEAP)
  assert.equal(await verifyPassword(decomposed, hash), true)
})

test('a hash it cannot read verifies to false instead of throwing', async () => {
  const good = await hashPassword('correct horse battery', CHEAP)
  const [, , , salt, key] = good.split('$')
  const malformed = [
    '',
    'correct horse battery',
    '$2b$10$abcdefghijklmnopqrstuv',
    `$scrypt$ln=10,r=8$${salt}$${key}`,
    `$scrypt$ln=0,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=23,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$`,
    `$scrypt$ln=10,r=8,p=1$${salt}$${key.slice(0, -4)}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$${key}$extra`,
    `${good}\n`
  ]
  for (const hash of malformed) {
    assert.equal(await verifyPassword('correct horse battery', hash), false, JSON.stringify(hash))
  }
})

test('a hash with its cost changed no longer verifies', async () => {
  const good = await hashPassword('correct horse battery', CHEAP)
  assert.equal(await verifyPassword('correct horse battery', good.replace('ln=10', 'ln=11')), false)
})
