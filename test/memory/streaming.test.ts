import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson, startDaemon } from '../helpers/daemon.ts'
import { peakTracker } from '../helpers/rss.ts'

const MiB = 1024 * 1024
const SIZE = 200 * MiB
const LIMIT = 64 * MiB

function upload (size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  let sent = 0
  let i = 0
  return new ReadableStream({
    pull (controller) {
      if (sent >= size) return controller.close()
      const chunk = new Uint8Array(Math.min(256 * 1024, size - sent)).fill(i++ % 251)
      hash.update(chunk)
      sent += chunk.byteLength
      controller.enqueue(chunk)
    }
  }, { highWaterMark: 0 })
}

async function streamBothWays (t: import('node:test').TestContext, kind: 'thread' | 'context'): Promise<void> {
  // Far past the default 10 MiB body limit: this realm accepts big uploads.
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab', kind, bodyLimit: '1GiB' }] })
  const cookie = await d.login('alice', 'alice-password')
  // Warm up: the worker exists and both directions have streamed once.
  const warm = createHash('sha256')
  await fetch(d.url + '/lab/upload', { method: 'POST', headers: { cookie }, body: upload(4 * MiB, warm), duplex: 'half' } as RequestInit).then(r => r.json())
  await fetch(d.url + '/lab/download?bytes=' + 4 * MiB, { headers: { cookie } }).then(r => r.arrayBuffer())

  const tracker = await peakTracker(d.child.pid!)
  const sent = createHash('sha256')
  const up = await fetch(d.url + '/lab/upload', {
    method: 'POST', headers: { cookie, 'content-type': 'application/octet-stream' }, body: upload(SIZE, sent), duplex: 'half'
  } as RequestInit)
  assert.equal(up.status, 200)
  const got = await up.json() as { bytes: number, sha256: string }
  assert.equal(got.bytes, SIZE)
  assert.equal(got.sha256, sent.digest('hex'), 'the worker saw the exact bytes')

  const down = await fetch(d.url + '/lab/download?bytes=' + SIZE, { headers: { cookie } })
  assert.equal(down.status, 200)
  let received = 0
  for await (const chunk of down.body!) received += chunk.byteLength
  assert.equal(received, SIZE)

  const growth = await tracker.peak() - tracker.baseline
  t.diagnostic(`daemon RSS growth: ${(growth / MiB).toFixed(1)} MiB over ${(tracker.baseline / MiB).toFixed(1)} MiB`)
  assert.ok(growth < LIMIT, `RSS grew ${(growth / MiB).toFixed(1)} MiB`)
}

test('200 MiB up and 200 MiB down stream through a worker; the daemon\'s RSS grows by less than 64 MiB', (t) => streamBothWays(t, 'thread'))

test('kind context: 200 MiB up and 200 MiB down stream through a session on a shared thread; the daemon\'s RSS grows by less than 64 MiB', (t) => streamBothWays(t, 'context'))

test('a slow reader slows the worker down instead of filling memory', async (t) => {
  // Far past the default 10 MiB body limit: this realm accepts big uploads.
  const d = await startDaemon(t, { realms: [{ name: 'lab', mount: '/lab', bodyLimit: '1GiB' }] })
  const cookie = await d.login('alice', 'alice-password')
  await getJson(d.url + '/lab/count', cookie)
  // Warm up the streaming path once, as the first test does.
  await fetch(d.url + '/lab/download?bytes=' + 4 * MiB, { headers: { cookie } }).then(r => r.arrayBuffer())
  const tracker = await peakTracker(d.child.pid!)
  // A raw socket that stops reading: fetch would keep reading ahead on its own.
  const { port, hostname } = new URL(d.url)
  const sock = net.connect(Number(port), hostname)
  t.after(() => sock.destroy())
  sock.write(`GET /lab/download?bytes=${100 * MiB} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n\r\n`)
  let received = 0
  await new Promise<void>((resolve) => {
    sock.on('data', (chunk) => {
      received += chunk.byteLength
      if (received >= 2 * MiB) {
        sock.pause()
        resolve()
      }
    })
  })
  // Stalled: give a runaway producer time to show itself.
  await sleep(1000)
  const stalledGrowth = await tracker.peak() - tracker.baseline
  // The worker serves other requests meanwhile; ask it how far it got.
  const { produced } = (await getJson(d.url + '/lab/produced', cookie)).body as { produced: number }
  sock.destroy()
  t.diagnostic(`stalled after ${(received / MiB).toFixed(1)} MiB read: worker produced ${((produced - 4 * MiB) / MiB).toFixed(1)} MiB; RSS growth ${(stalledGrowth / MiB).toFixed(1)} MiB`)
  // What was read, plus the port window, the stream buffers and the kernel's
  // loopback socket buffers: far from the 100 MiB a runaway producer makes.
  assert.ok(produced - 4 * MiB < received + 16 * MiB, `the worker produced ${((produced - 4 * MiB) / MiB).toFixed(1)} MiB for a reader that took ${(received / MiB).toFixed(1)} MiB`)
  assert.ok(stalledGrowth < 32 * MiB, `grew ${(stalledGrowth / MiB).toFixed(1)} MiB with a stalled 100 MiB response`)
  // The session still works after the client walked away mid-body.
  const after = await getJson(d.url + '/lab/count', cookie)
  assert.equal(after.body.count, 2)
})
