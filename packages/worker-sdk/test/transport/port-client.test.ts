import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { MessageChannel } from 'node:worker_threads'
import { SdkError } from '../../src/errors.ts'
import { RemoteError } from '../../src/transport/error-codec.ts'
import { ACK_EVERY_BYTES, FlowWindow, WINDOW_BYTES } from '../../src/transport/flow-window.ts'
import type { ControlFromWorker, FromWorker, StoreCallMessage, ToWorker } from '../../src/transport/messages.ts'
import { parseToWorker } from '../../src/transport/parse.ts'
import { PortClient } from '../../src/transport/port-client.ts'
import type { ClientResponse, PortClientOptions } from '../../src/transport/port-client.ts'
import { Inbox, forId } from './fixtures/inbox.ts'
import { connect } from './fixtures/pair.ts'

// The supervisor's end of the transport, over a real MessageChannel. The
// worker's end is either played message by message (to see exactly what
// the client posts) or the real PortServer (fixtures/pair.ts).

const CHUNK = 64 * 1024
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const text = (b: Uint8Array | null) => new TextDecoder().decode(b!)

/** A PortClient whose worker is this test: `worker` sees what the client posts, `send` answers. */
function client (t: TestContext, opts: Partial<PortClientOptions> = {}) {
  const { port1, port2 } = new MessageChannel()
  const controls: ControlFromWorker[] = []
  const protocolErrors: Error[] = []
  const c = new PortClient(port1, {
    onControl: (m) => { controls.push(m) },
    onStoreCall: () => Promise.reject(new Error('no store in this test')),
    onProtocolError: (err) => { protocolErrors.push(err) },
    ...opts
  })
  const worker = new Inbox<ToWorker>(port2, parseToWorker)
  const send = (m: FromWorker) => port2.postMessage(m)
  t.after(() => {
    c.close()
    port2.close()
  })
  return { client: c, worker, send, controls, protocolErrors }
}

/** A body of `total` bytes made only as fast as it is read; `produced` tells how far it got. */
function lazyBody (total: number) {
  const hash = createHash('sha256')
  const state = { produced: 0, sha256: '' }
  const body = new Readable({
    read () {
      if (state.produced >= total) {
        state.sha256 = hash.digest('hex')
        return void this.push(null)
      }
      const chunk = randomBytes(CHUNK)
      hash.update(chunk)
      state.produced += CHUNK
      this.push(chunk)
    }
  })
  return { body, state }
}

async function readAll (body: ClientResponse['body']): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0)
  if (body instanceof Uint8Array) return Buffer.from(body)
  const parts: Buffer[] = []
  for await (const chunk of body) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

test('a small request is one req message, and a small response resolves whole from one res', { timeout: 5000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const answer = c.request({ method: 'GET', url: 'http://realm.test/a?b=1', headers: ['accept', 'text/plain'], body: null })
  assert.equal(c.inFlight, 1)
  const req = await worker.take(m => m.t === 'req')
  assert.deepEqual(req, { t: 'req', id: 1, method: 'GET', url: 'http://realm.test/a?b=1', headers: ['accept', 'text/plain'], body: null, more: false })
  send({ t: 'res', id: 1, status: 201, headers: ['x-from', 'worker'], body: new TextEncoder().encode('hi'), more: false })
  const res = await answer
  assert.equal(res.status, 201)
  assert.deepEqual(res.headers, ['x-from', 'worker'])
  assert.ok(res.body instanceof Uint8Array)
  assert.equal(text(res.body), 'hi')
  assert.equal(c.inFlight, 0)
  await sleep(20)
  assert.deepEqual(worker.queued(() => true).map(m => m.t), [], 'nothing else is posted for a small exchange')
})

test('a request body stops at the window until the worker acks, then streams to its end', { timeout: 20_000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const TOTAL = 4 * WINDOW_BYTES
  const { body, state } = lazyBody(TOTAL)
  const answer = c.request({ method: 'POST', url: 'http://realm.test/up', headers: [], body })
  const req = await worker.take(m => m.t === 'req')
  assert.equal(req.t === 'req' && req.more, true)
  const hash = createHash('sha256')
  let received = 0
  while (received < WINDOW_BYTES) {
    const m = await worker.take(forId(1, 'chunk', 'end', 'abort'))
    assert.equal(m.t, 'chunk')
    if (m.t !== 'chunk') return
    hash.update(m.chunk)
    received += m.chunk.byteLength
  }
  // A quiet moment: the client would overrun the window now if it were going to.
  await sleep(100)
  assert.equal(worker.queued(forId(1, 'chunk', 'end')).length, 0, 'the client waits for an ack')
  assert.ok(received < WINDOW_BYTES + CHUNK, `received ${received}`)
  assert.ok(state.produced <= received + 2 * WINDOW_BYTES, `the body is not read ahead without bound: produced ${state.produced}`)

  send({ t: 'ack', id: 1, bytes: received })
  for (;;) {
    const m = await worker.take(forId(1, 'chunk', 'end', 'abort'))
    if (m.t === 'end') break
    assert.equal(m.t, 'chunk')
    if (m.t !== 'chunk') return
    hash.update(m.chunk)
    received += m.chunk.byteLength
    send({ t: 'ack', id: 1, bytes: m.chunk.byteLength })
  }
  assert.equal(received, TOTAL)
  assert.equal(hash.digest('hex'), state.sha256)
  send({ t: 'res', id: 1, status: 204, headers: [], body: null, more: false })
  assert.equal((await answer).status, 204)
})

test('a streamed response is acknowledged only as fast as it is read', { timeout: 20_000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const answer = c.request({ method: 'GET', url: 'http://realm.test/down', headers: [], body: null })
  await worker.take(m => m.t === 'req')
  // This test plays a worker that keeps to the window, as PortServer does.
  const window = new FlowWindow(WINDOW_BYTES)
  let acked = 0
  worker.watch(m => {
    if (m.t === 'ack' && m.id === 1) {
      acked += m.bytes
      window.release(m.bytes)
    }
  })
  const payload = randomBytes(4 * WINDOW_BYTES)
  const chunk = (i: number) => new Uint8Array(payload.subarray(i * CHUNK, (i + 1) * CHUNK))
  send({ t: 'res', id: 1, status: 200, headers: [], body: chunk(0), more: true })
  window.sent(CHUNK)
  const res = await answer
  assert.ok(res.body instanceof Readable)
  let sent = 1
  const sending = (async () => {
    for (; sent < payload.length / CHUNK; sent++) {
      await window.room()
      send({ t: 'chunk', id: 1, chunk: chunk(sent) })
      window.sent(CHUNK)
    }
    send({ t: 'end', id: 1 })
  })()

  // Nobody reads: the client holds its acks once its buffer is full.
  await sleep(200)
  assert.ok(acked <= ACK_EVERY_BYTES + CHUNK, `acked ${acked} before anything was read`)
  assert.ok(sent * CHUNK <= acked + WINDOW_BYTES, `the worker is held at one window: sent ${sent * CHUNK}, acked ${acked}`)

  const body = await readAll(res.body)
  await sending
  assert.equal(sha256(body), sha256(payload))
  assert.ok(acked >= payload.length - WINDOW_BYTES, `acked ${acked} once read`)
  assert.equal(c.inFlight, 0)
})

test('destroying the response stream tells the worker to abort', { timeout: 5000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const answer = c.request({ method: 'GET', url: 'http://realm.test/sse', headers: [], body: null })
  await worker.take(m => m.t === 'req')
  send({ t: 'res', id: 1, status: 200, headers: [], body: new Uint8Array(10), more: true })
  const res = await answer
  assert.ok(res.body instanceof Readable)
  res.body.destroy()
  assert.deepEqual(await worker.take(forId(1, 'abort')), { t: 'abort', id: 1 })
  assert.equal(c.inFlight, 0)
})

test('a client that goes away aborts request.signal in the real worker end', { timeout: 5000 }, async (t) => {
  const aborted = Promise.withResolvers<unknown>()
  const { client: c } = connect(t, {
    fetch (request) {
      request.signal.addEventListener('abort', () => aborted.resolve(request.signal.reason))
      // An endless stream, as server-sent events are.
      return new Response(new ReadableStream({ pull: (controller) => sleep(5).then(() => controller.enqueue(new Uint8Array(100))) }))
    }
  })
  const res = await c.request({ method: 'GET', url: 'http://realm.test/events', headers: [], body: null })
  assert.ok(res.body instanceof Readable)
  await once(res.body, 'data')
  res.body.destroy()
  const reason = await aborted.promise
  assert.equal((reason as Error).name, 'AbortError')
})

test('an error from the worker rejects the request with its code, status and message', { timeout: 5000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const answer = c.request({ method: 'GET', url: 'http://realm.test/', headers: [], body: null })
  await worker.take(m => m.t === 'req')
  send({ t: 'error', id: 1, error: { code: 'SDK_ERR_STOPPING', message: 'worker is stopping', statusCode: 503 } })
  await assert.rejects(answer, (err) => {
    assert.ok(err instanceof RemoteError)
    assert.equal(err.code, 'SDK_ERR_STOPPING')
    assert.equal(err.statusCode, 503)
    assert.equal(err.message, 'worker is stopping')
    return true
  })
  assert.equal(c.inFlight, 0)
})

test('a handler whose body fails mid-stream errors the response stream with SDK_ERR_HANDLER', { timeout: 5000 }, async (t) => {
  const { client: c } = connect(t, {
    fetch: () => {
      let n = 0
      return new Response(new ReadableStream({
        pull: async (controller) => {
          await sleep(1)
          if (n++ < 3) controller.enqueue(new Uint8Array(1000))
          else controller.error(new Error('disk gone'))
        }
      }))
    }
  })
  const res = await c.request({ method: 'GET', url: 'http://realm.test/file', headers: [], body: null })
  await assert.rejects(readAll(res.body), { code: 'SDK_ERR_HANDLER', statusCode: 500 })
  assert.equal(c.inFlight, 0)
})

test('the timeout hook can fail a request whose head is late, and only that one', { timeout: 5000 }, async (t) => {
  let calls = 0
  const { client: c, worker, send } = client(t, {
    timeout: {
      ms: 100,
      onTimeout: (fail) => {
        calls++
        fail(new SdkError('TEST_ERR_LATE', 'too late', 504))
      }
    }
  })
  const late = c.request({ method: 'GET', url: 'http://realm.test/late', headers: [], body: null })
  const quick = c.request({ method: 'GET', url: 'http://realm.test/quick', headers: [], body: null })
  await worker.take(forId(2, 'req'))
  send({ t: 'res', id: 2, status: 200, headers: [], body: null, more: false })
  assert.equal((await quick).status, 200)
  await assert.rejects(late, { code: 'TEST_ERR_LATE', statusCode: 504 })
  assert.equal(calls, 1, 'the answered request never times out')
  assert.equal(c.inFlight, 0)
  // An answer after the timeout finds nothing to settle.
  send({ t: 'res', id: 1, status: 200, headers: [], body: null, more: false })
  await sleep(20)
})

test('a timeout hook that does not fail leaves the request pending', { timeout: 5000 }, async (t) => {
  const timedOut = Promise.withResolvers<void>()
  const { client: c, worker, send } = client(t, { timeout: { ms: 30, onTimeout: () => timedOut.resolve() } })
  const answer = c.request({ method: 'GET', url: 'http://realm.test/', headers: [], body: null })
  await worker.take(m => m.t === 'req')
  await timedOut.promise
  assert.equal(c.inFlight, 1)
  send({ t: 'res', id: 1, status: 200, headers: [], body: null, more: false })
  assert.equal((await answer).status, 200)
})

test('store calls reach the callback and their value or coded error goes back', { timeout: 5000 }, async (t) => {
  const calls: StoreCallMessage[] = []
  const { worker, send } = client(t, {
    onStoreCall: async (m) => {
      calls.push(m)
      if (m.op === 'get') return 'dark'
      if (m.op === 'put') throw Object.assign(new Error('lock lost'), { code: 'STORE_ERR_LOCK_LOST', statusCode: 409 })
      throw new Error('backend down')
    }
  })
  send({ t: 'store', id: 1, op: 'get', args: ['theme'] })
  send({ t: 'store', id: 2, op: 'put', args: ['k', 'v'] })
  send({ t: 'store', id: 3, op: 'keys', args: [] })
  assert.deepEqual(await worker.take(forId(1, 'store-result')), { t: 'store-result', id: 1, value: 'dark' })
  assert.deepEqual(await worker.take(forId(2, 'store-result')), { t: 'store-result', id: 2, error: { code: 'STORE_ERR_LOCK_LOST', message: 'lock lost', statusCode: 409 } })
  const third = await worker.take(forId(3, 'store-result'))
  assert.equal(third.t === 'store-result' && third.error?.code, 'SDK_ERR_STORE')
  assert.deepEqual(calls.map(m => [m.op, m.args]), [['get', ['theme']], ['put', ['k', 'v']], ['keys', []]])
})

test('lifecycle messages go to onControl and control() posts claim and stop', { timeout: 5000 }, async (t) => {
  const { client: c, worker, send, controls } = client(t)
  send({ t: 'booted' })
  c.control({ t: 'claim', sessionId: 's', sessionHash: 'h', user: 'alice' })
  assert.deepEqual(await worker.take(m => m.t === 'claim'), { t: 'claim', sessionId: 's', sessionHash: 'h', user: 'alice' })
  send({ t: 'ready' })
  c.control({ t: 'stop', reason: 'idle' })
  assert.deepEqual(await worker.take(m => m.t === 'stop'), { t: 'stop', reason: 'idle' })
  await sleep(20)
  assert.deepEqual(controls, [{ t: 'booted' }, { t: 'ready' }])
})

test('a message outside the protocol is reported to onProtocolError', { timeout: 5000 }, async (t) => {
  const { send, protocolErrors } = client(t)
  send({ t: 'bogus', id: 1 } as unknown as FromWorker)
  await sleep(20)
  assert.equal(protocolErrors.length, 1)
  assert.equal((protocolErrors[0] as { code?: string }).code, 'SDK_ERR_PROTOCOL')
})

test('an answer before the whole request body ends the upload and drains the rest of the body', { timeout: 10_000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const { body, state } = lazyBody(4 * WINDOW_BYTES)
  const answer = c.request({ method: 'POST', url: 'http://realm.test/too-big', headers: [], body })
  await worker.take(m => m.t === 'req')
  await worker.take(forId(1, 'chunk'))
  send({ t: 'res', id: 1, status: 413, headers: [], body: null, more: false })
  assert.equal((await answer).status, 413)
  await finished(body)
  assert.equal(state.produced, 4 * WINDOW_BYTES, 'the rest is read, so the connection stays usable')
  const chunks = worker.queued(forId(1, 'chunk')).length
  await sleep(50)
  assert.equal(worker.queued(forId(1, 'chunk')).length, chunks, 'nothing more is posted once answered')
  assert.ok(chunks * CHUNK <= WINDOW_BYTES, `posted ${chunks} chunks`)
  assert.deepEqual(worker.queued(forId(1, 'end')), [])
})

test('failAll rejects every pending request and ends every streaming response', { timeout: 5000 }, async (t) => {
  const { client: c, worker, send } = client(t)
  const pending = c.request({ method: 'GET', url: 'http://realm.test/1', headers: [], body: null })
  const streaming = c.request({ method: 'GET', url: 'http://realm.test/2', headers: [], body: null })
  await worker.take(forId(2, 'req'))
  send({ t: 'res', id: 2, status: 200, headers: [], body: new Uint8Array(1), more: true })
  const res = await streaming
  c.failAll(new SdkError('TEST_ERR_GONE', 'worker gone', 502))
  await assert.rejects(pending, { code: 'TEST_ERR_GONE' })
  await assert.rejects(readAll(res.body), { code: 'TEST_ERR_GONE' })
  assert.equal(c.inFlight, 0)
})

test('a request body and its echo stream through the real worker end intact', { timeout: 20_000 }, async (t) => {
  const { client: c } = connect(t, { fetch: (request) => new Response(request.body) })
  const payload = randomBytes(3 * WINDOW_BYTES + 123)
  const res = await c.request({ method: 'POST', url: 'http://realm.test/echo', headers: [], body: Readable.from([payload.subarray(0, WINDOW_BYTES), payload.subarray(WINDOW_BYTES)]) })
  assert.equal(res.status, 200)
  assert.ok(res.body instanceof Readable, 'a body this large streams')
  assert.equal(sha256(await readAll(res.body)), sha256(payload))
  assert.equal(c.inFlight, 0)
})
