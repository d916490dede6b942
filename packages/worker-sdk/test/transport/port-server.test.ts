import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { MessageChannel } from 'node:worker_threads'
import pino from 'pino'
import type { HandlerContext } from '../../src/context.ts'
import type { Handler } from '../../src/handler.ts'
import { PortServer } from '../../src/transport/port-server.ts'
import { PortStoreClient } from '../../src/store-client.ts'
import { FlowWindow, WINDOW_BYTES } from '../../src/transport/flow-window.ts'
import type { FromWorker, StopReason, ToWorker } from '../../src/transport/messages.ts'
import { parseFromWorker } from '../../src/transport/parse.ts'
import { Inbox, forId } from './fixtures/inbox.ts'

const CHUNK = 64 * 1024
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

function serve (t: TestContext, handler: Handler) {
  const { port1, port2 } = new MessageChannel()
  const store = new PortStoreClient(port2)
  const ctx: HandlerContext = {
    sessionId: 'a'.repeat(64),
    user: 'alice',
    realm: 'notes',
    store,
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    upgradeWebSocket: () => { throw new Error('no WebSockets here') },
    getWebSockets: () => []
  }
  const stopped = Promise.withResolvers<StopReason>()
  const server = new PortServer(port2, handler, ctx, store, stopped.resolve)
  // The supervisor's end of the port.
  const inbox = new Inbox<FromWorker>(port1, parseFromWorker)
  const send = (m: ToWorker) => port1.postMessage(m)
  t.after(() => {
    server.close()
    port1.close()
  })
  return { server, inbox, send, stopped: stopped.promise }
}

const req = (id: number, more = false, body: Uint8Array | null = null): ToWorker =>
  ({ t: 'req', id, method: more ? 'POST' : 'GET', url: 'http://realm.test/notes/x?y=1', headers: ['x-test', 'yes', 'accept', 'text/plain'], body, more })

test('a small response arrives in a single res message with more:false', { timeout: 5000 }, async (t) => {
  const { inbox, send } = serve(t, {
    fetch (request, ctx) {
      const url = new URL(request.url)
      return new Response(`${request.method} ${url.pathname}${url.search} ${request.headers.get('x-test')} ${ctx.user}`, {
        status: 201, headers: { 'x-from': 'worker' }
      })
    }
  })
  send(req(1))
  const res = await inbox.take(forId(1, 'res', 'error'))
  assert.equal(res.t, 'res')
  if (res.t !== 'res') return
  assert.equal(res.status, 201)
  assert.equal(res.more, false)
  assert.ok(res.body)
  assert.equal(new TextDecoder().decode(res.body), 'GET /notes/x?y=1 yes alice')
  const headers = new Map<string, string>()
  for (let i = 0; i < res.headers.length; i += 2) headers.set(res.headers[i], res.headers[i + 1])
  assert.equal(headers.get('x-from'), 'worker')
  // A quiet moment: nothing else (chunk, end) may follow a complete response.
  await sleep(20)
  assert.deepEqual(inbox.queued(forId(1, 'res', 'chunk', 'end', 'error')).map(m => m.t), [])
})

test('a response without a body is a res with body null', { timeout: 5000 }, async (t) => {
  const { inbox, send } = serve(t, { fetch: () => new Response(null, { status: 204 }) })
  send(req(7))
  const res = await inbox.take(forId(7, 'res'))
  assert.deepEqual(res, { t: 'res', id: 7, status: 204, headers: [], body: null, more: false })
})

test('a 5 MiB request body streamed in 64 KiB chunks reaches the handler intact and is acked', { timeout: 20_000 }, async (t) => {
  const { inbox, send } = serve(t, {
    async fetch (request) {
      const hash = createHash('sha256')
      let bytes = 0
      for await (const chunk of request.body!) {
        hash.update(chunk)
        bytes += chunk.byteLength
      }
      return Response.json({ bytes, sha256: hash.digest('hex') })
    }
  })
  const payload = randomBytes(5 * 1024 * 1024)
  // The sender keeps to the window like the supervisor does: without the
  // worker's acks it stalls after WINDOW_BYTES and the test times out.
  const window = new FlowWindow(WINDOW_BYTES)
  let acked = 0
  inbox.watch(m => {
    if (m.t === 'ack' && m.id === 2) {
      acked += m.bytes
      window.release(m.bytes)
    }
  })
  send(req(2, true))
  for (let off = 0; off < payload.length; off += CHUNK) {
    // A copy per chunk: a view would clone the whole 5 MiB buffer each time.
    const chunk = new Uint8Array(payload.subarray(off, off + CHUNK))
    send({ t: 'chunk', id: 2, chunk })
    if (!window.sent(chunk.byteLength)) await window.room()
  }
  send({ t: 'end', id: 2 })
  const res = await inbox.take(forId(2, 'res', 'error'))
  assert.equal(res.t, 'res')
  if (res.t !== 'res') return
  assert.deepEqual(JSON.parse(new TextDecoder().decode(res.body!)), { bytes: payload.length, sha256: sha256(payload) })
  assert.ok(acked >= payload.length - WINDOW_BYTES, `acked ${acked} of ${payload.length}`)
})

test('a streamed response stops at the window without acks and continues with them', { timeout: 20_000 }, async (t) => {
  const TOTAL = 4 * WINDOW_BYTES
  let produced = 0
  const producedHash = createHash('sha256')
  const { inbox, send } = serve(t, {
    fetch: () => new Response(new ReadableStream<Uint8Array>({
      pull (controller) {
        if (produced >= TOTAL) return controller.close()
        const chunk = new Uint8Array(CHUNK).fill((produced / CHUNK) & 0xff)
        producedHash.update(chunk)
        produced += CHUNK
        controller.enqueue(chunk)
      }
    }))
  })
  send(req(3))
  const head = await inbox.take(forId(3, 'res', 'error'))
  assert.equal(head.t, 'res')
  if (head.t !== 'res') return
  assert.equal(head.more, true)
  const receivedHash = createHash('sha256')
  let received = 0
  const take = (chunk: Uint8Array | null) => {
    if (!chunk) return
    receivedHash.update(chunk)
    received += chunk.byteLength
  }
  take(head.body)
  while (received < WINDOW_BYTES) {
    const m = await inbox.take(forId(3, 'chunk', 'end', 'error'))
    assert.equal(m.t, 'chunk')
    if (m.t === 'chunk') take(m.chunk)
  }
  // Proving an absence needs a quiet moment: give the worker time to
  // overrun the window if it were going to.
  await sleep(100)
  // Counted, not compared: a failing deepEqual would print megabytes of chunks.
  assert.equal(inbox.queued(forId(3, 'chunk', 'end', 'error')).length, 0, 'the worker must wait for an ack')
  assert.ok(received < WINDOW_BYTES + CHUNK, `received ${received}`)
  assert.ok(produced <= received + 3 * CHUNK, `the handler's stream is slowed too: produced ${produced}, received ${received}`)

  send({ t: 'ack', id: 3, bytes: received })
  for (;;) {
    const m = await inbox.take(forId(3, 'chunk', 'end', 'error'))
    if (m.t === 'end') break
    assert.equal(m.t, 'chunk')
    if (m.t !== 'chunk') return
    take(m.chunk)
    send({ t: 'ack', id: 3, bytes: m.chunk.byteLength })
  }
  assert.equal(received, TOTAL)
  assert.equal(receivedHash.digest('hex'), producedHash.digest('hex'))
})

test('a handler that throws yields an SDK_ERR_HANDLER error message', { timeout: 5000 }, async (t) => {
  const { inbox, send } = serve(t, {
    fetch (request) {
      if (request.url.endsWith('sync')) throw new Error('boom')
      return Promise.reject(new Error('async boom'))
    }
  })
  send({ ...req(4), url: 'http://realm.test/sync' } as ToWorker)
  send({ ...req(5), url: 'http://realm.test/async' } as ToWorker)
  for (const id of [4, 5]) {
    const m = await inbox.take(forId(id, 'res', 'error'))
    assert.equal(m.t, 'error')
    if (m.t !== 'error') return
    assert.equal(m.error.code, 'SDK_ERR_HANDLER')
    assert.equal(m.error.statusCode, 500)
  }
})

test('a handler that returns something other than a Response yields SDK_ERR_BAD_RESPONSE', { timeout: 5000 }, async (t) => {
  const answers: unknown[] = ['hello', null, { status: 200 }]
  const { inbox, send } = serve(t, { fetch: (request) => answers[Number(new URL(request.url).pathname.slice(1))] as Response })
  for (let id = 0; id < answers.length; id++) send({ ...req(id), url: `http://realm.test/${id}` } as ToWorker)
  for (let id = 0; id < answers.length; id++) {
    const m = await inbox.take(forId(id, 'res', 'error'))
    assert.equal(m.t, 'error', `answer ${String(answers[id])}`)
    if (m.t !== 'error') return
    assert.equal(m.error.code, 'SDK_ERR_BAD_RESPONSE')
    assert.equal(m.error.statusCode, 500)
  }
})

test('an abort message aborts request.signal in the handler', { timeout: 5000 }, async (t) => {
  const called = Promise.withResolvers<AbortSignal>()
  const { inbox, send, server } = serve(t, {
    fetch (request) {
      called.resolve(request.signal)
      return new Promise((_resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(request.signal.reason))
      })
    }
  })
  send(req(6))
  const signal = await called.promise
  assert.equal(signal.aborted, false)
  assert.equal(server.inFlight, 1)
  send({ t: 'abort', id: 6 })
  await once(signal, 'abort')
  assert.equal(signal.reason.name, 'AbortError')
  assert.equal(server.inFlight, 0)
  // The client is gone: nothing is answered for an aborted exchange.
  await sleep(20)
  assert.deepEqual(inbox.queued(forId(6, 'res', 'error', 'chunk', 'end')).map(m => m.t), [])
})

test('a stop message calls onStop and later requests get SDK_ERR_STOPPING', { timeout: 5000 }, async (t) => {
  const { inbox, send, stopped } = serve(t, { fetch: () => new Response('ok') })
  send({ t: 'stop', reason: 'logout' })
  assert.equal(await stopped, 'logout')
  send(req(8))
  const m = await inbox.take(forId(8, 'res', 'error'))
  assert.equal(m.t, 'error')
  if (m.t !== 'error') return
  assert.equal(m.error.code, 'SDK_ERR_STOPPING')
  assert.equal(m.error.statusCode, 503)
})

test('ctx.store calls travel as store messages and settle from store-result', { timeout: 5000 }, async (t) => {
  const { inbox, send } = serve(t, {
    async fetch (_request, ctx) {
      const value = await ctx.store.get('theme')
      const err = await ctx.store.put('k', 'v').catch((e: unknown) => e as { code: string })
      return new Response(`${value} ${err?.code}`)
    }
  })
  send(req(9))
  const get = await inbox.take(m => m.t === 'store')
  assert.equal(get.t, 'store')
  if (get.t !== 'store') return
  assert.equal(get.op, 'get')
  assert.deepEqual(get.args, ['theme'])
  send({ t: 'store-result', id: get.id, value: 'dark' })
  const put = await inbox.take(m => m.t === 'store')
  if (put.t !== 'store') return assert.fail('expected a store call')
  assert.deepEqual([put.op, put.args], ['put', ['k', 'v']])
  send({ t: 'store-result', id: put.id, error: { code: 'STORE_ERR_NO_SESSION', message: 'no such session', statusCode: 404 } })
  const res = await inbox.take(forId(9, 'res', 'error'))
  if (res.t !== 'res') return assert.fail(`expected res, got ${res.t}`)
  assert.equal(new TextDecoder().decode(res.body!), 'dark STORE_ERR_NO_SESSION')
})
