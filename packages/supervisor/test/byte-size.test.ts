import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseByteSize } from '../src/byte-size.ts'

test('sizes decode to bytes from units or plain numbers', () => {
  assert.equal(parseByteSize(512), 512)
  assert.equal(parseByteSize('512'), 512)
  assert.equal(parseByteSize('16KiB'), 16_384)
  assert.equal(parseByteSize('1.5 kb'), 1500)
  assert.equal(parseByteSize('10MiB'), 10 * 1024 * 1024)
  assert.equal(parseByteSize('2GB'), 2e9)
})

test('anything else is a RangeError', () => {
  for (const bad of ['', 'ten', '10XB', '-1', '1e3']) assert.throws(() => parseByteSize(bad), RangeError, bad)
})
