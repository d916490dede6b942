import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameBoundary, serverCloseFrame } from '../src/ws-frame-boundary.ts'

/** A server frame (unmasked) with a payload of `n` bytes, in the header form its length needs. */
function frame (n: number, masked = false): Buffer {
  const len = n < 126 ? [n] : n < 65536 ? [126, n >> 8, n & 255] : [127, 0, 0, 0, 0, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]
  return Buffer.concat([Buffer.from([0x81, (masked ? 0x80 : 0) | len[0], ...len.slice(1)]), masked ? Buffer.alloc(4, 1) : Buffer.alloc(0), Buffer.alloc(n, 97)])
}

test('finds frame boundaries across any split of the stream, for each header form', () => {
  const stream = Buffer.concat([frame(0), frame(5), frame(300), frame(70_000), frame(9, true)])
  for (const step of [1, 2, 3, 7, 1000, stream.length]) {
    const b = new FrameBoundary()
    const boundaries: number[] = []
    for (let at = 0; at < stream.length; at += step) {
      const piece = stream.subarray(at, at + step)
      let off = 0
      while (off < piece.length) {
        off += b.feed(piece.subarray(off), true) || b.feed(piece.subarray(off, off + 1))
        if (b.atBoundary) boundaries.push(at + off)
      }
    }
    assert.deepEqual([...new Set(boundaries)], [2, 9, 313, 70_323, stream.length], `split every ${step} bytes`)
  }
})

test('stops at the end of the frame it is in, and not before', () => {
  const b = new FrameBoundary()
  const two = Buffer.concat([frame(10), frame(10)])
  assert.equal(b.feed(two.subarray(0, 5)), 5)
  assert.equal(b.atBoundary, false)
  assert.equal(b.feed(two.subarray(5), true), 7, 'the rest of the first frame only')
  assert.equal(b.atBoundary, true)
  assert.equal(b.feed(two.subarray(12), true), 0, 'at a boundary already: nothing more is read')
})

test('a server close frame carries the code and the reason', () => {
  assert.deepEqual([...serverCloseFrame(1001, 'bye')], [0x88, 5, 0x03, 0xe9, 98, 121, 101])
  assert.equal(serverCloseFrame(1000, 'x'.repeat(200)).length, 4 + 123, 'a reason is cut to 123 bytes')
})
