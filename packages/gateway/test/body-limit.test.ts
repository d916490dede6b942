import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { limitBody } from '../src/body-limit.ts'

const chunks = (...sizes: number[]) => Readable.from(sizes.map(n => Buffer.alloc(n, 97)))

test('a body within the limit passes unchanged', async () => {
  assert.equal((await text(limitBody(chunks(3, 4, 3), 10))).length, 10)
})

test('one byte past the limit fails the stream with GW_ERR_BODY_TOO_LARGE', async () => {
  await assert.rejects(text(limitBody(chunks(5, 5, 1), 10)), (err: { code?: string, statusCode?: number }) => {
    assert.equal(err.code, 'GW_ERR_BODY_TOO_LARGE')
    assert.equal(err.statusCode, 413)
    return true
  })
})

test('an error on the source fails the limited stream', async () => {
  const source = new Readable({ read () { this.destroy(new Error('client went away')) } })
  await assert.rejects(text(limitBody(source, 10)), /client went away/)
})
