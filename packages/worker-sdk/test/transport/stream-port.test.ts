import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { WINDOW_BYTES } from '../../src/transport/flow-window.ts'
import { ABNORMAL_CLOSE } from '../../src/transport/socket-channel.ts'
import type { SocketClose, SocketData } from '../../src/transport/socket-channel.ts'
import { socketOverStream } from '../../src/transport/stream-port.ts'

// One socket channel over a real unix-socket connection, as a process
// worker's sockets travel: the same frames, window, close and park as over
// a MessagePort.

async function connected (t: TestContext): Promise<[Socket, Socket]> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-stream-'))
  const path = join(dir, 's.sock')
  const server = createServer()
  await new Promise<void>(resolve => server.listen(path, resolve))
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(path)
  const [worker] = await accepted
  t.after(async () => {
    client.destroy()
    worker.destroy()
    server.close()
    await rm(dir, { recursive: true, force: true })
  })
  return [client, worker]
}

async function pair (t: TestContext) {
  const [a, b] = await connected(t)
  return {
    supervisor: socketOverStream(a, { end: 'supervisor', headers: ['sec-websocket-protocol', 'chat'] }),
    worker: socketOverStream(b, { end: 'worker', headers: [] }),
    connection: a
  }
}

test('frames go both ways over the connection, text and bytes', async (t) => {
  const { supervisor, worker } = await pair(t)
  const got: SocketData[] = []
  worker.on('message', (d) => { got.push(d); worker.send(d) })
  const back: SocketData[] = []
  supervisor.on('message', (d) => back.push(d))
  supervisor.send('hello')
  supervisor.send(new Uint8Array([1, 2, 3]))
  for (let i = 0; i < 100 && back.length < 2; i++) await sleep(5)
  assert.deepEqual(got, ['hello', new Uint8Array([1, 2, 3])])
  assert.deepEqual(back.map(d => typeof d === 'string' ? d : [...d]), ['hello', [1, 2, 3]])
  assert.deepEqual(supervisor.headers, ['sec-websocket-protocol', 'chat'])
})

test('a receiver that pauses holds the sender at one window', async (t) => {
  const { supervisor, worker } = await pair(t)
  worker.pause()
  worker.on('message', () => {})
  const chunk = new Uint8Array(64 * 1024)
  let sent = 0
  while (supervisor.send(chunk)) sent += chunk.byteLength
  await sleep(100)
  assert.ok(sent < WINDOW_BYTES, 'send answered false within the window')
  assert.ok(supervisor.bufferedAmount >= WINDOW_BYTES - chunk.byteLength)
  const drained = once(supervisor, 'drain')
  worker.resume()
  await drained
})

test('a park closes the channel with the attachment; the connection ending early is an abort', async (t) => {
  const { supervisor, worker } = await pair(t)
  const closed = once(supervisor, 'close') as Promise<[SocketClose]>
  worker.park({ name: 'kept', n: 1 })
  const [close] = await closed
  assert.equal(close.code, 1001)
  assert.deepEqual(close.parked, { attachment: { name: 'kept', n: 1 } })

  const other = await pair(t)
  const aborted = once(other.supervisor, 'close') as Promise<[SocketClose]>
  other.connection.destroy()
  assert.equal((await aborted)[0].code, ABNORMAL_CLOSE)
})
