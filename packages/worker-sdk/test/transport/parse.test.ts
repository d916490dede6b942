import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ProtocolError, parseFromWorker, parseToWorker } from '../../src/transport/parse.ts'

const isProtocolError = (err: unknown) => (err as { code?: string }).code === 'SDK_ERR_PROTOCOL' && err instanceof ProtocolError

for (const [name, parse] of [['parseToWorker', parseToWorker], ['parseFromWorker', parseFromWorker]] as const) {
  test(`${name} rejects a message that is not an object`, () => {
    for (const m of [null, undefined, 1, 'req', true]) {
      assert.throws(() => parse(m), isProtocolError, `message ${String(m)}`)
    }
  })

  test(`${name} rejects an unknown or missing type`, () => {
    assert.throws(() => parse({ t: 'bogus', id: 1 }), isProtocolError)
    assert.throws(() => parse({ id: 1 }), isProtocolError)
    assert.throws(() => parse({ t: 1, id: 1 }), isProtocolError)
  })

  test(`${name} rejects a message without a numeric id`, () => {
    assert.throws(() => parse({ t: 'chunk', chunk: new Uint8Array(1) }), isProtocolError)
    assert.throws(() => parse({ t: 'end', id: '1' }), isProtocolError)
  })
}

test('parseToWorker accepts each message the supervisor sends', () => {
  const req = { t: 'req', id: 1, method: 'GET', url: 'http://x/', headers: [], body: null, more: false }
  assert.equal(parseToWorker(req), req)
  for (const m of [{ t: 'chunk', id: 1, chunk: new Uint8Array(1) }, { t: 'end', id: 1 }, { t: 'ack', id: 1, bytes: 3 },
    { t: 'abort', id: 1 }, { t: 'store-result', id: 2, value: 'v' }, { t: 'stop', reason: 'idle' }]) {
    assert.equal(parseToWorker(m), m)
  }
})

test('parseToWorker rejects messages only the worker sends', () => {
  assert.throws(() => parseToWorker({ t: 'res', id: 1 }), isProtocolError)
  assert.throws(() => parseToWorker({ t: 'ready' }), isProtocolError)
  assert.throws(() => parseToWorker({ t: 'store', id: 1, op: 'get', args: ['k'] }), isProtocolError)
})

test('parseFromWorker accepts ready without an id and a well-formed store call', () => {
  assert.deepEqual(parseFromWorker({ t: 'ready' }), { t: 'ready' })
  const call = { t: 'store', id: 3, op: 'put', args: ['k', 'v'] }
  assert.equal(parseFromWorker(call), call)
})

test('parseFromWorker rejects messages only the supervisor sends', () => {
  assert.throws(() => parseFromWorker({ t: 'req', id: 1 }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'stop', reason: 'idle' }), isProtocolError)
})

test('parseFromWorker rejects a store call with an unknown op or non-string args', () => {
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'destroy', args: [] }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'get', args: [1] }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'get', args: 'k' }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'put', args: ['k', { v: 1 }] }), isProtocolError)
})

test('parseFromWorker takes exactly the methods of ctx.store, each with its number of arguments', () => {
  for (const [op, args] of [['get', ['k']], ['put', ['k', 'v']], ['remove', ['k']], ['exists', ['k']], ['keys', []], ['getAll', []], ['open', ['rw']], ['commit', []]] as const) {
    assert.equal(parseFromWorker({ t: 'store', id: 1, op, args: [...args] }).t, 'store', op)
  }
  // release() ends a dead worker's store access: the supervisor's to call, never the worker's.
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'release', args: [] }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'put', args: ['k'] }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'store', id: 1, op: 'get', args: ['k', 'extra'] }), isProtocolError)
})

test('socket messages parse in both directions, and open only from the worker', () => {
  for (const m of [{ t: 'frame', id: 1, data: 'text' }, { t: 'frame', id: 1, data: new Uint8Array(2) }, { t: 'close', id: 1, code: 1000, reason: '' }, { t: 'abort', id: 1 }]) {
    assert.equal(parseToWorker(m), m)
    assert.equal(parseFromWorker(m), m)
  }
  const open = { t: 'open', id: 1, headers: [] }
  assert.equal(parseFromWorker(open), open)
  assert.throws(() => parseToWorker(open), isProtocolError)
})

test('a frame must carry text or bytes, and a close a numeric code and a reason', () => {
  for (const parse of [parseToWorker, parseFromWorker]) {
    assert.throws(() => parse({ t: 'frame', id: 1, data: { text: 'x' } }), isProtocolError)
    assert.throws(() => parse({ t: 'frame', id: 1 }), isProtocolError)
    assert.throws(() => parse({ t: 'close', id: 1, code: '1000', reason: '' }), isProtocolError)
    assert.throws(() => parse({ t: 'close', id: 1, code: 1000 }), isProtocolError)
  }
})

test('a type inherited from Object.prototype is no message type', () => {
  assert.throws(() => parseToWorker({ t: 'toString', id: 1 }), isProtocolError)
  assert.throws(() => parseFromWorker({ t: 'constructor', id: 1 }), isProtocolError)
})
