import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { SdkError } from '../../src/errors.ts'
import { WINDOW_BYTES } from '../../src/transport/flow-window.ts'
import { ABNORMAL_CLOSE, SocketChannel } from '../../src/transport/socket-channel.ts'
import type { SocketClose, SocketData } from '../../src/transport/socket-channel.ts'
import { connect, socketPair } from './fixtures/pair.ts'

// Socket channels between the real PortClient and the real PortServer over
// a real MessageChannel: an upgrade the handler accepts becomes a
// long-lived id carrying frames both ways under the transport's window.

const FRAME = 64 * 1024

function collect (socket: SocketChannel): SocketData[] {
  const got: SocketData[] = []
  socket.on('message', (data) => { got.push(data) })
  return got
}

async function until (cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(5)
  assert.ok(cond(), what)
}

test('an accepted upgrade opens a channel carrying text and binary frames both ways', { timeout: 5000 }, async (t) => {
  const { client, clientSocket, workerSocket } = await socketPair(t)
  assert.ok(clientSocket instanceof SocketChannel)
  assert.deepEqual(clientSocket.headers, ['sec-websocket-protocol', 'chat'])
  assert.equal(client.inFlight, 0, 'a socket is no exchange in flight')
  assert.equal(client.openSockets, 1)
  const atWorker = collect(workerSocket)
  const atClient = collect(clientSocket)
  clientSocket.send('hello')
  clientSocket.send(new Uint8Array([1, 2, 3]))
  workerSocket.send('welcome')
  workerSocket.send(new Uint8Array([9]))
  await until(() => atWorker.length === 2 && atClient.length === 2, 'four frames arrive')
  assert.deepEqual(atWorker, ['hello', new Uint8Array([1, 2, 3])])
  assert.deepEqual(atClient, ['welcome', new Uint8Array([9])])
})

test('a refused upgrade is an ordinary answer', { timeout: 5000 }, async (t) => {
  const { client } = connect(t, { fetch: () => new Response('no sockets here', { status: 403 }) })
  const answer = await client.upgrade({ method: 'GET', url: 'http://realm.test/live', headers: [] })
  assert.ok(!(answer instanceof SocketChannel))
  assert.equal(answer.status, 403)
  assert.equal(new TextDecoder().decode(answer.body as Uint8Array), 'no sockets here')
  assert.equal(client.openSockets, 0)
})

test('acceptSocket refuses a request that did not ask for an upgrade', { timeout: 5000 }, async (t) => {
  const refused = Promise.withResolvers<unknown>()
  const { client, server } = connect(t, {
    fetch (request) {
      try { server.acceptSocket(request) } catch (err) { refused.resolve(err) }
      return new Response('plain')
    }
  })
  const res = await client.request({ method: 'GET', url: 'http://realm.test/', headers: [], body: null })
  assert.equal(res.status, 200)
  assert.equal((await refused.promise as SdkError).code, 'SDK_ERR_NOT_UPGRADABLE')
})

for (const direction of ['worker to client', 'client to worker'] as const) {
  test(`a paused receiver stops the sender after one window, ${direction}; resuming lets the rest through in order`, { timeout: 20_000 }, async (t) => {
    const pair = await socketPair(t)
    const [sender, receiver] = direction === 'worker to client' ? [pair.workerSocket, pair.clientSocket] : [pair.clientSocket, pair.workerSocket]
    const FRAMES = 64
    // Binary one way, text the other: both count against the window.
    const frame = (i: number): SocketData => direction === 'worker to client' ? new Uint8Array(FRAME).fill(i) : String.fromCharCode(65 + (i % 26)).repeat(FRAME / 2)
    receiver.pause()
    const got = collect(receiver)
    let sent = 0
    let sentBytes = 0
    let firstRefusal = -1
    const sending = (async () => {
      for (; sent < FRAMES; sent++) {
        const more = sender.send(frame(sent))
        sentBytes += FRAME
        if (!more) {
          if (firstRefusal < 0) firstRefusal = sentBytes
          await once(sender, 'drain')
        }
      }
    })()
    await sleep(200)
    assert.equal(got.length, 0, 'nothing is delivered while paused')
    assert.ok(firstRefusal > 0 && firstRefusal <= WINDOW_BYTES + FRAME, `send refused more after ${firstRefusal} bytes`)
    assert.ok(sentBytes <= WINDOW_BYTES + FRAME, `the sender is held at one window while the receiver is paused: ${sentBytes} bytes sent`)

    receiver.resume()
    await sending
    await until(() => got.length === FRAMES, `all ${FRAMES} frames arrive`)
    for (let i = 0; i < FRAMES; i++) assert.deepEqual(got[i], frame(i), `frame ${i} in order`)
  })
}

test('a close code and reason cross from the client; both sides see one close', { timeout: 5000 }, async (t) => {
  const { client, clientSocket, workerSocket } = await socketPair(t)
  const atWorker = once(workerSocket, 'close')
  const atClient = once(clientSocket, 'close')
  clientSocket.close(4000, 'bye')
  assert.equal(clientSocket.state, 'closing')
  assert.throws(() => clientSocket.send('late'), { code: 'SDK_ERR_SOCKET_CLOSED' })
  const [w] = await atWorker as [SocketClose]
  const [c] = await atClient as [SocketClose]
  assert.deepEqual(w, { code: 4000, reason: 'bye' })
  assert.deepEqual(c, { code: 4000, reason: 'bye' }, 'the answer echoes the code')
  assert.equal(clientSocket.state, 'closed')
  assert.equal(workerSocket.state, 'closed')
  assert.equal(client.openSockets, 0)
})

test('a close from the worker arrives after the frames sent before it', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  const events: string[] = []
  clientSocket.on('message', (data) => events.push(`message ${String(data)}`))
  clientSocket.on('close', ({ code, reason }) => events.push(`close ${code} ${reason}`))
  const workerClosed = once(workerSocket, 'close')
  workerSocket.send('one')
  workerSocket.send('two')
  workerSocket.close(4001, 'done')
  assert.deepEqual((await workerClosed)[0], { code: 4001, reason: 'done' })
  await until(() => events.length === 3, 'two frames and a close')
  assert.deepEqual(events, ['message one', 'message two', 'close 4001 done'])
})

test('frames sent while the other side is closing still reach it before its close', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  const atClient = collect(clientSocket)
  const clientClosed = once(clientSocket, 'close')
  workerSocket.on('close', () => undefined)
  clientSocket.close(1000, '')
  // Posted before the worker has seen the client's close.
  workerSocket.send('in flight')
  await clientClosed
  assert.deepEqual(atClient, ['in flight'])
})

for (const side of ['client', 'worker'] as const) {
  test(`an abort from the ${side} ends the channel on both sides with 1006 and the error`, { timeout: 5000 }, async (t) => {
    const pair = await socketPair(t)
    const [aborting, other] = side === 'client' ? [pair.clientSocket, pair.workerSocket] : [pair.workerSocket, pair.clientSocket]
    const atOther = once(other, 'close')
    const atAborting = once(aborting, 'close')
    aborting.abort(new SdkError('TEST_ERR_GONE', 'went away', 502))
    const [o] = await atOther as [SocketClose]
    const [a] = await atAborting as [SocketClose]
    assert.equal(o.code, ABNORMAL_CLOSE)
    assert.equal((o.error as SdkError).code, 'TEST_ERR_GONE')
    assert.equal(a.code, ABNORMAL_CLOSE)
    assert.equal(other.state, 'closed')
    assert.throws(() => other.send('x'), { code: 'SDK_ERR_SOCKET_CLOSED' })
    assert.equal(pair.client.openSockets, 0)
  })
}

test('frames that arrive before a listener is attached wait for it', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  workerSocket.send('early')
  await sleep(30)
  const got = collect(clientSocket)
  await until(() => got.length === 1, 'the early frame is delivered')
  assert.deepEqual(got, ['early'])
})

test('a worker that goes away drops its sockets at the client with the error', { timeout: 5000 }, async (t) => {
  const { client, clientSocket } = await socketPair(t)
  const closed = once(clientSocket, 'close')
  client.failAll(new SdkError('TEST_ERR_EXITED', 'worker exited', 502))
  const [c] = await closed as [SocketClose]
  assert.equal(c.code, ABNORMAL_CLOSE)
  assert.equal((c.error as SdkError).code, 'TEST_ERR_EXITED')
  assert.equal(client.openSockets, 0)
})

test('after hold(), frames stay at the sender and come back with a park, so that none reaches a worker on its way out', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  const atWorker = collect(workerSocket)
  clientSocket.send('before')
  clientSocket.hold()
  assert.equal(clientSocket.send('during'), false)
  await until(() => atWorker.length === 1, 'the frame sent before the hold arrives')
  const closed = once(clientSocket, 'close') as Promise<[SocketClose]>
  workerSocket.park({ tab: 1 })
  const [close] = await closed
  assert.deepEqual(close.parked, { attachment: { tab: 1 } })
  assert.deepEqual(close.unsent, ['during'])
  assert.deepEqual(atWorker, ['before'])
})

test('a receiver whose queue passes its limit closes the channel with 1013 on both sides', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  clientSocket.queueLimit = 256 * 1024
  clientSocket.pause()
  clientSocket.on('message', () => {})
  const workerClosed = once(workerSocket, 'close') as Promise<[SocketClose]>
  const clientClosed = once(clientSocket, 'close') as Promise<[SocketClose]>
  // Sent without waiting for 'drain', as a handler that ignores backpressure does.
  for (let i = 0; i < 20; i++) if (workerSocket.state === 'open') workerSocket.send(new Uint8Array(FRAME))
  assert.equal((await clientClosed)[0].code, 1013)
  assert.equal((await workerClosed)[0].code, 1013)
})
