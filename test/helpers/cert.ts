// A self-signed certificate from `sessiond cert` (names: sessiond.test, localhost, 127.0.0.1, ::1), removed after the test.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { CLI } from './daemon.ts'

export async function makeCert (t: TestContext): Promise<{ cert: string, key: string, ca: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cert-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const child = spawn(process.execPath, [CLI, 'cert', '--out', dir, '--name', 'sessiond.test'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', d => { out += d })
  child.stderr.on('data', d => { out += d })
  const [code] = await once(child, 'exit')
  assert.equal(code, 0, out)
  const cert = join(dir, 'cert.pem')
  return { cert, key: join(dir, 'key.pem'), ca: await readFile(cert) }
}
