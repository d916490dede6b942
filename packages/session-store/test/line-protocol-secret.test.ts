import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readLineProtocolSecret, secretMatches } from '../src/line-protocol-secret.ts'

async function secretFile (t: TestContext, text: string, mode: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-secret-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'protocol.secret')
  await writeFile(file, text)
  await chmod(file, mode)
  return file
}

test('the secret is the first line of a 0600 file', async (t) => {
  assert.deepEqual(await readLineProtocolSecret(await secretFile(t, 'open sesame\n', 0o600)), Buffer.from('open sesame'))
  assert.deepEqual(await readLineProtocolSecret(await secretFile(t, 'x\r\nignored', 0o400)), Buffer.from('x'))
})

test('a file others can read, an empty one or a missing one is refused with STORE_ERR_CONFIG', async (t) => {
  const refused = (m: RegExp) => (err: { code?: string, message?: string }) => err.code === 'STORE_ERR_CONFIG' && m.test(err.message ?? '')
  await assert.rejects(readLineProtocolSecret(await secretFile(t, 'x', 0o644)), refused(/can be read by others \(mode 644\): chmod 600/))
  await assert.rejects(readLineProtocolSecret(await secretFile(t, 'x', 0o640)), refused(/mode 640/))
  await assert.rejects(readLineProtocolSecret(await secretFile(t, '\nsecond line', 0o600)), refused(/is empty/))
  await assert.rejects(readLineProtocolSecret('/nonexistent/protocol.secret'), refused(/cannot read/))
})

test('secrets compare whole, whatever their lengths', () => {
  const secret = Buffer.from('correct horse')
  assert.equal(secretMatches(secret, 'correct horse'), true)
  for (const wrong of ['', 'correct', 'correct horse ', 'correct horsf', 'x'.repeat(10_000)]) assert.equal(secretMatches(secret, wrong), false, wrong)
})
