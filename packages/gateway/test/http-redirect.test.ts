import { test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpsOriginFor } from '../src/http-redirect.ts'
import { createSelfSignedCert } from '../src/self-signed-cert.ts'

test('the redirect target is the Host\'s name on the HTTPS port, only for names the certificate covers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-redirect-cert-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const { cert } = await createSelfSignedCert({ outDir: dir, names: ['sessiond.test'] })
  const x509 = new X509Certificate(await readFile(cert))
  assert.equal(httpsOriginFor('sessiond.test', x509, 443), 'https://sessiond.test')
  assert.equal(httpsOriginFor('SESSIOND.test:80', x509, 8443), 'https://sessiond.test:8443')
  assert.equal(httpsOriginFor('127.0.0.1:8080', x509, 8443), 'https://127.0.0.1:8443')
  assert.equal(httpsOriginFor('[::1]:8080', x509, 8443), 'https://[::1]:8443')
  for (const host of [undefined, '', 'evil.example', 'sessiond.test.evil.example', 'sessiond.test.', '192.0.2.1', 'sessiond.test/x', 'a@sessiond.test', 'sessiond.test:x']) {
    assert.equal(httpsOriginFor(host, x509, 443), undefined, String(host))
  }
})
