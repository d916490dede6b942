import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RemoteError, decodeError, encodeError } from '../../src/transport/error-codec.ts'
import { SdkError } from '../../src/errors.ts'

test('a coded error keeps code, message and statusCode across a structured clone', () => {
  const original = new SdkError('SDK_ERR_STOPPING', 'worker is stopping', 503)
  const cloned = structuredClone(encodeError(original))
  const rebuilt = decodeError(cloned)
  assert.ok(rebuilt instanceof RemoteError)
  assert.ok(rebuilt instanceof Error)
  assert.equal(rebuilt.code, 'SDK_ERR_STOPPING')
  assert.equal(rebuilt.message, 'worker is stopping')
  assert.equal(rebuilt.statusCode, 503)
})

test('structured clone alone drops the code, which is why errors travel encoded', () => {
  const cloned = structuredClone(new SdkError('SDK_ERR_STOPPING', 'worker is stopping', 503)) as { code?: string }
  assert.equal(cloned.code, undefined)
})

test('an error without a code gets the fallback code and 500', () => {
  assert.deepEqual(encodeError(new TypeError('boom')), { code: 'SDK_ERR_HANDLER', message: 'boom', statusCode: 500 })
  assert.deepEqual(encodeError(new Error('x'), 'SUP_ERR_OTHER'), { code: 'SUP_ERR_OTHER', message: 'x', statusCode: 500 })
})

test('a code that is not an upper-case identifier gets the fallback code', () => {
  const e = Object.assign(new Error('fs'), { code: 'enoent' })
  assert.equal(encodeError(e).code, 'SDK_ERR_HANDLER')
  const n = Object.assign(new Error('n'), { code: 42 })
  assert.equal(encodeError(n).code, 'SDK_ERR_HANDLER')
})

test('a statusCode outside 400..599 becomes 500', () => {
  for (const statusCode of [200, 302, 399, 600, 999, -1, Number.NaN]) {
    const e = Object.assign(new Error('odd'), { code: 'X_ERR', statusCode })
    assert.equal(encodeError(e).statusCode, 500, `statusCode ${statusCode}`)
  }
  const ok = Object.assign(new Error('teapot'), { code: 'X_ERR', statusCode: '418' })
  assert.equal(encodeError(ok).statusCode, 500, 'a string is not a status code')
  assert.equal(encodeError(Object.assign(new Error('gone'), { statusCode: 410 })).statusCode, 410)
})

test('a thrown non-error is encoded with its string form', () => {
  assert.deepEqual(encodeError('plain string'), { code: 'SDK_ERR_HANDLER', message: 'plain string', statusCode: 500 })
  assert.deepEqual(encodeError(undefined), { code: 'SDK_ERR_HANDLER', message: 'undefined', statusCode: 500 })
  assert.deepEqual(encodeError(null), { code: 'SDK_ERR_HANDLER', message: 'null', statusCode: 500 })
})
