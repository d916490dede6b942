import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SocketData } from '../src/transport/socket-channel.ts'
import { MAX_ATTACHMENT_BYTES, WorkerWebSocket } from '../src/web-socket.ts'
import { socketPair } from './transport/fixtures/pair.ts'

// The handler's WebSocket over a real socket channel (both transport ends on a real MessageChannel).

test('the standard shape: readyState, send of text and bytes, the close event with its code', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  const ws = new WorkerWebSocket(workerSocket, 'ws://realm.test/live', 'chat')
  assert.equal(ws.readyState, WorkerWebSocket.OPEN)
  const got: SocketData[] = []
  clientSocket.on('message', (d) => got.push(d))
  ws.send('text')
  ws.send(new Uint8Array([1, 2]).buffer)
  ws.send(new Blob([new Uint8Array([3])]))
  ws.send('after the blob')
  for (let i = 0; i < 100 && got.length < 4; i++) await sleep(5)
  assert.deepEqual(got.map(d => typeof d === 'string' ? d : [...d]), ['text', [1, 2], [3], 'after the blob'], 'in the order of the calls')
  const closed = new Promise<CloseEvent>(resolve => ws.addEventListener('close', (e) => resolve(e as CloseEvent)))
  clientSocket.close(4001, 'done')
  const e = await closed
  assert.deepEqual([e.code, e.reason, e.wasClean], [4001, 'done', true])
  assert.equal(ws.readyState, WorkerWebSocket.CLOSED)
  assert.throws(() => ws.close(1006), { name: 'InvalidAccessError' })
})

test('messages wait in the channel until the handler listens: none is lost before addEventListener', { timeout: 5000 }, async (t) => {
  const { clientSocket, workerSocket } = await socketPair(t)
  const ws = new WorkerWebSocket(workerSocket, 'ws://realm.test/live', '')
  clientSocket.send('early')
  await sleep(50)
  const got: string[] = []
  ws.onmessage = (e) => got.push((e as MessageEvent).data)
  for (let i = 0; i < 100 && got.length < 1; i++) await sleep(5)
  assert.deepEqual(got, ['early'])
})

test('an attachment is a structured clone, at most MAX_ATTACHMENT_BYTES, and survives as a copy', { timeout: 5000 }, async (t) => {
  const { workerSocket } = await socketPair(t)
  const ws = new WorkerWebSocket(workerSocket, 'ws://realm.test/live', '', { restored: true })
  assert.deepEqual(ws.deserializeAttachment(), { restored: true }, 'a resumed socket comes with what it was parked with')
  const value = { tab: 3, seen: new Date(0) }
  ws.serializeAttachment(value)
  value.tab = 4
  assert.deepEqual(ws.deserializeAttachment(), { tab: 3, seen: new Date(0) })
  assert.throws(() => ws.serializeAttachment('x'.repeat(MAX_ATTACHMENT_BYTES)), { code: 'SDK_ERR_ATTACHMENT_TOO_LARGE' })
  assert.throws(() => ws.serializeAttachment(() => 1), { name: 'DataCloneError' })
})
