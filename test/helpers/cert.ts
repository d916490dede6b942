// A self-signed certificate from `sessiond cert` (names: sessiond.test, or
// those given, and always localhost, 127.0.0.1, ::1), removed after the test.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { runCli } from './run-cli.ts'

export async function makeCert (t: TestContext, names: string[] = ['sessiond.test']): Promise<{ cert: string, key: string, ca: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cert-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const made = await runCli(['cert', '--out', dir, ...names.flatMap(name => ['--name', name])])
  assert.equal(made.code, 0, made.output)
  const cert = join(dir, 'cert.pem')
  return { cert, key: join(dir, 'key.pem'), ca: await readFile(cert) }
}
