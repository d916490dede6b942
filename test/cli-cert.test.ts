// `sessiond cert` makes a server certificate that front servers take as one:
// a leaf (Apache warns about a CA:TRUE server certificate), or with --ca a
// CA and a leaf it signed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { runCli } from './helpers/run-cli.ts'

const run = promisify(execFile)
const text = async (file: string) => (await run('openssl', ['x509', '-in', file, '-noout', '-text'])).stdout

test('sessiond cert makes a leaf certificate: CA:FALSE, for server authentication, with the names given', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cert-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const made = await runCli(['cert', '--out', dir, '--name', 'sessiond.test'])
  assert.equal(made.code, 0, made.output)
  const cert = await text(join(dir, 'cert.pem'))
  assert.match(cert, /Basic Constraints: critical\s+CA:FALSE/)
  assert.match(cert, /Extended Key Usage:\s+TLS Web Server Authentication/)
  assert.match(cert, /DNS:sessiond\.test, DNS:localhost, IP Address:127\.0\.0\.1/)
  assert.equal((await stat(join(dir, 'key.pem'))).mode & 0o777, 0o600)
})

test('sessiond cert --ca makes a CA and a leaf it signed, which verifies against the CA alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cert-ca-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const made = await runCli(['cert', '--out', dir, '--name', 'sessiond.test', '--ca'])
  assert.equal(made.code, 0, made.output)
  assert.match(await text(join(dir, 'ca.pem')), /Basic Constraints: critical\s+CA:TRUE/)
  assert.match(await text(join(dir, 'cert.pem')), /CA:FALSE/)
  const verified = await run('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 'cert.pem')])
  assert.match(verified.stdout, /cert\.pem: OK/)
  for (const key of ['key.pem', 'ca-key.pem']) assert.equal((await stat(join(dir, key))).mode & 0o777, 0o600, key)
})
