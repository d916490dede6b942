import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { isStreaming, wholeOrStream } from '../src/whole-or-stream.ts'

const bytes = (s: string) => new TextEncoder().encode(s)

test('a body that is already complete comes back whole', async () => {
  const start = await wholeOrStream(new Response('all of it').body!.getReader())
  assert.ok(!isStreaming(start))
  assert.equal(new TextDecoder().decode(start!), 'all of it')
})

test('an empty body comes back as null', async () => {
  const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() })
  assert.equal(await wholeOrStream(empty.getReader()), null)
})

test('a body still being produced streams: its first chunk, and the next read under way', async () => {
  let n = 0
  const slow = new ReadableStream<Uint8Array>({
    async pull (c) {
      if (n > 0) await sleep(20)
      if (n++ < 2) c.enqueue(bytes(`part ${n}`))
      else c.close()
    }
  })
  const start = await wholeOrStream(slow.getReader())
  assert.ok(isStreaming(start))
  assert.equal(new TextDecoder().decode(start.first), 'part 1')
  const second = await start.next
  assert.equal(second.done, false)
  assert.equal(new TextDecoder().decode(second.value), 'part 2')
})

test('a body of two chunks ready at once streams rather than being joined', async () => {
  const two = new ReadableStream<Uint8Array>({ start (c) { c.enqueue(bytes('a')); c.enqueue(bytes('b')); c.close() } })
  const start = await wholeOrStream(two.getReader())
  assert.ok(isStreaming(start), 'only a single complete chunk goes whole')
})
