// Large uploads to child workers (issue 15, finding 7): curl sends
// `Expect: 100-continue` with every body over 1 MiB, and an oversized
// chunked body must be the client's 413, not a broken worker's 502.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { LAB, ROOT, startDaemon } from './helpers/daemon.ts'

const run = promisify(execFile)
const COUNTER = join(ROOT, 'test/fixtures/byte-counter.py')

test('an upload with Expect: 100-continue (curl, over 1 MiB) reaches process and exec workers whole', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'proc', mount: '/proc', kind: 'process', handler: LAB },
      { name: 'ex', mount: '/ex', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', COUNTER] }
    ]
  })
  const cookie = await d.login('alice', 'alice-password')
  const dir = await mkdtemp(join(tmpdir(), 'sd-upload-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'body')
  const body = randomBytes(3 * 1024 * 1024)
  await writeFile(file, body)
  const sha256 = createHash('sha256').update(body).digest('hex')
  for (const path of ['/proc/upload', '/ex/upload']) {
    // -v shows the exchange: curl waited for the gateway's 100 Continue before sending the body.
    const { stdout, stderr } = await run('curl', ['-sS', '-v', '-b', cookie, '-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, d.url + path])
    assert.match(stderr, /Expect: 100-continue/i, `${path}: curl asked to continue`)
    assert.match(stderr, /HTTP\/1\.1 100 Continue/, `${path}: the gateway answered 100`)
    const answer = JSON.parse(stdout) as { bytes: number, sha256: string, expect?: string | null }
    assert.equal(answer.bytes, body.byteLength, `${path}: every byte arrived`)
    assert.equal(answer.sha256, sha256)
    assert.ok(!answer.expect, `${path}: the worker is not asked to send a 100 of its own`)
  }
})

test('a chunked body over the realm limit to a process or exec worker is a 413, and the worker serves on', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'proc', mount: '/proc', kind: 'process', handler: LAB, bodyLimit: 100_000 },
      { name: 'ex', mount: '/ex', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', COUNTER], bodyLimit: 100_000 }
    ]
  })
  const cookie = await d.login('alice', 'alice-password')
  const stream = (n: number) => new ReadableStream({
    start (c) {
      for (let left = n; left > 0; left -= 10_000) c.enqueue(new Uint8Array(Math.min(left, 10_000)).fill(97))
      c.close()
    }
  })
  for (const path of ['/proc/upload', '/ex/upload']) {
    const over = await fetch(d.url + path, { method: 'POST', headers: { cookie }, body: stream(200_000), duplex: 'half' } as RequestInit)
    assert.equal(over.status, 413, path)
    assert.equal((await over.json() as { error: string }).error, 'GW_ERR_BODY_TOO_LARGE')
    const ok = await fetch(d.url + path, { method: 'POST', headers: { cookie }, body: stream(50_000), duplex: 'half' } as RequestInit)
    assert.equal(ok.status, 200, `${path}: the same worker answers the next request`)
    assert.equal((await ok.json() as { bytes: number }).bytes, 50_000)
  }
})
