import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { LineProtocolListener } from '../src/line-protocol.ts'
import type { LineProtocolOptions } from '../src/line-protocol.ts'
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../src/limits.ts'
import { MemoryStore } from '../src/memory-store.ts'
import type { LockTimings } from '../src/locking-backend.ts'
import { lineClient } from './line-client.ts'

const HOUR = 3_600_000

async function serve (t: TestContext, timings: Partial<LockTimings> = {}, opts: LineProtocolOptions = {}) {
  const store = new MemoryStore(timings)
  const listener = await LineProtocolListener.listen(store, opts)
  t.after(async () => {
    await listener.close()
    await store.close()
  })
  const client = async () => {
    const c = await lineClient(listener.address.port)
    t.after(() => { c.socket.destroy() })
    return c
  }
  return { store, listener, client }
}

test('the classic transcript works byte for byte', async (t) => {
  const { client } = await serve(t)
  const c = await client()
  const id = (await c.send('new')).slice(3)
  assert.match(id, /^[0-9a-f]{64}$/)
  for (const [line, answer] of [
    ['put foo bar', 'ok'],
    ['put today 2004-11-09', 'ok'],
    ['keys', 'ok foo|today'],
    ['get today', 'ok 2004-11-09'],
    ['close', 'ok'],
    ['get foo', 'err No session opened.']
  ]) assert.equal(await c.send(line), answer, line)
  assert.equal(c.received().toString('latin1'),
    `ok ${id}\r\nok\r\nok\r\nok foo|today\r\nok 2004-11-09\r\nok\r\nerr No session opened.\r\n`)
})

test('listens on loopback unless told otherwise', async (t) => {
  const { listener } = await serve(t)
  assert.equal(listener.address.address, '127.0.0.1')
})

test('every session command before open or new answers err No session opened.', async (t) => {
  const { client } = await serve(t)
  const c = await client()
  for (const line of ['close', 'commit', 'destroy', 'get k', 'put k v', 'exists k', 'remove k', 'keys', 'get_all', 'put_all a:0:{}', 'regenerate_id']) {
    assert.equal(await c.send(line), 'err No session opened.', line)
  }
  assert.equal(await c.send('frobnicate'), 'err unknown command')
  assert.equal(await c.send('GET k'), 'err unknown command')
  assert.equal(await c.send(''), 'err unknown command')
  assert.equal(await c.send('open'), 'err open takes 2 arguments')
})

test('open, get, exists, remove, commit and the last argument taking the rest of the line', async (t) => {
  const { store, client } = await serve(t)
  const { id } = await store.create('alice', HOUR)
  const c = await client()
  assert.equal(await c.send(`open ${id} rw`), 'ok')
  assert.equal(await c.send('put greeting hello  world, with spaces '), 'ok')
  assert.equal(await c.send('get greeting'), 'ok hello  world, with spaces ')
  assert.equal(await c.send('get missing'), 'err Key does not exist')
  assert.equal(await c.send('exists greeting'), 'ok 1')
  assert.equal(await c.send('exists missing'), 'ok 0')
  assert.equal(await store.get(id, 'greeting'), undefined, 'not committed yet')
  assert.equal(await c.send('commit'), 'ok')
  assert.equal(await store.get(id, 'greeting'), 'hello  world, with spaces ')
  assert.equal(await c.send('put x y'), 'err Session is opened read-only')
  assert.equal(await c.send(`open ${id} rw`), 'ok')
  assert.equal(await c.send('remove greeting'), 'ok')
  assert.equal(await c.send('keys'), 'ok')
  assert.equal(await c.send('close'), 'ok')
  assert.deepEqual(await store.keys(id), [])
  assert.equal(await c.send(`open ${'0'.repeat(64)} r`), 'err Session does not exist')
  assert.equal(await c.send(`open ${id} w`), 'err Mode must be r or rw')
})

test('a second rw waits for the first, then answers err Session is locked', async (t) => {
  const { store, client } = await serve(t, { lockWaitMs: 50 })
  const { id } = await store.create('bob', HOUR)
  const a = await client()
  const b = await client()
  assert.equal(await a.send(`open ${id} rw`), 'ok')
  assert.equal(await b.send(`open ${id} rw`), 'err Session is locked')
  assert.equal(await b.send(`open ${id} r`), 'ok', 'r never waits')
  assert.equal(await a.send('close'), 'ok')
  assert.equal(await b.send(`open ${id} rw`), 'ok')
})

test('a client that disconnects mid-session releases the lock and drops its writes', async (t) => {
  const { store, client } = await serve(t, { lockWaitMs: 5000 })
  const { id } = await store.create('carol', HOUR)
  const a = await client()
  assert.equal(await a.send(`open ${id} rw`), 'ok')
  assert.equal(await a.send('put k half-done'), 'ok')
  a.socket.destroy()
  const w = await store.open(id, 'rw')
  assert.equal(await w.get('k'), undefined)
  await w.close()
})

test('get_all and put_all carry PHP serialize() text, lengths in UTF-8 bytes', async (t) => {
  const { store, client } = await serve(t)
  const c = await client()
  const id = (await c.send('new')).slice(3)
  assert.equal(await c.send('put_all a:3:{s:3:"foo";s:3:"bar";s:5:"café";s:6:"crème";i:42;s:0:"";}'), 'ok')
  assert.equal(await c.send('put_all a:1:{s:4:"café";s:1:"x";}'), 'err put_all needs PHP serialize() text of an array of strings', 'a character count is not a byte count')
  // An integer key comes back as PHP writes it, i:42; (JS objects list integer keys first).
  assert.equal(await c.send('get_all'), 'ok a:3:{i:42;s:0:"";s:3:"foo";s:3:"bar";s:5:"café";s:6:"crème";}')
  assert.equal(await c.send('close'), 'ok')
  assert.deepEqual(await store.getAll(id), { 42: '', foo: 'bar', 'café': 'crème' })
  assert.equal(await c.send(`open ${id} rw`), 'ok')
  assert.equal(await c.send('put_all a:1:{s:3:"foo";i:3;}'), 'err put_all needs PHP serialize() text of an array of strings')
  assert.equal(await c.send('put_all nonsense'), 'err put_all needs PHP serialize() text of an array of strings')
})

test('regenerate_id moves the session and destroy ends it', async (t) => {
  const { store, client } = await serve(t)
  const c = await client()
  const id = (await c.send('new')).slice(3)
  assert.equal(await c.send('put k v'), 'ok')
  const fresh = (await c.send('regenerate_id')).slice(3)
  assert.match(fresh, /^[0-9a-f]{64}$/)
  assert.equal(await store.lookup(id), null)
  assert.equal(await c.send('close'), 'ok')
  assert.equal(await store.get(fresh, 'k'), 'v')
  assert.equal(await c.send(`open ${fresh} r`), 'ok')
  assert.equal(await c.send('destroy'), 'ok')
  assert.equal(await store.lookup(fresh), null)
  assert.equal(await c.send('keys'), 'err No session opened.')
})

test('a bare LF ends a line too, and invalid UTF-8 gets an err without closing', async (t) => {
  const { client } = await serve(t)
  const c = await client()
  c.socket.write('new\n')
  assert.match(await c.next(), /^ok [0-9a-f]{64}$/)
  c.socket.write(Buffer.from([0x70, 0x75, 0x74, 0x20, 0xff, 0xfe, 0x20, 0x78, 0x0d, 0x0a]))
  assert.equal(await c.next(), 'err invalid UTF-8')
  assert.equal(await c.send('put k\0 v'), 'err Invalid key')
  assert.equal(await c.send('keys'), 'ok')
})

test('a line over the limit gets err line too long and the connection closes', async (t) => {
  const { client } = await serve(t, {}, { maxLineBytes: 1024 })
  const c = await client()
  c.socket.write('put k ' + 'x'.repeat(4096))
  assert.equal(await c.next(), 'err line too long')
  await c.closed
  const d = await client()
  assert.match(await d.send('new'), /^ok /, 'the listener still serves others')
})

test('a flood of pipelined commands is answered in order, and junk never crashes the listener', async (t) => {
  const { client } = await serve(t)
  const c = await client()
  c.socket.write('new\r\n')
  assert.match(await c.next(), /^ok /)
  const n = 5000
  let burst = ''
  for (let i = 0; i < n; i++) burst += `put k${i % 10} ${i}\r\nget k${i % 10}\r\n`
  c.socket.write(burst)
  for (let i = 0; i < n; i++) {
    assert.equal(await c.next(), 'ok')
    assert.equal(await c.next(), `ok ${i}`)
  }
  const junk = await client()
  junk.socket.write(Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 256)))
  junk.socket.end()
  await junk.closed
  const after = await client()
  assert.match(await after.send('new'), /^ok /)
})

test('keys and values past the size limits get err Invalid key and err Value too large, and the connection goes on', async (t) => {
  const { store, client } = await serve(t)
  const { id } = await store.create('carol', HOUR)
  const c = await client()
  const longest = 'k'.repeat(MAX_KEY_BYTES)
  assert.equal(await c.send(`open ${id} rw`), 'ok')
  assert.equal(await c.send(`put ${longest} v`), 'ok')
  assert.equal(await c.send(`put ${'k'.repeat(MAX_KEY_BYTES + 1)} v`), 'err Invalid key')
  assert.equal(await c.send(`get ${'é'.repeat(MAX_KEY_BYTES / 2 + 1)}`), 'err Invalid key')
  assert.equal(await c.send(`put max ${'x'.repeat(MAX_VALUE_BYTES)}`), 'ok')
  assert.equal(await c.send(`put big ${'€'.repeat(Math.floor(MAX_VALUE_BYTES / 3) + 1)}`), 'err Value too large')
  assert.equal(await c.send(`put_all a:1:{s:3:"big";s:${MAX_VALUE_BYTES + 1}:"${'x'.repeat(MAX_VALUE_BYTES + 1)}";}`), 'err Value too large')
  assert.equal(await c.send('close'), 'ok')
  assert.deepEqual(await store.keys(id), [longest, 'max'])
})

test('new is rate-limited per connection and for the whole listener: past the limit it answers err Too many new sessions', async (t) => {
  const { store, client } = await serve(t, {}, { newPerSecondPerConnection: 5, newPerSecond: 20 })
  const c = await client()
  const started = Date.now()
  c.socket.write('new\r\n'.repeat(500))
  const answers: string[] = []
  for (let i = 0; i < 500; i++) answers.push(await c.next())
  const seconds = (Date.now() - started) / 1000
  const made = answers.filter(a => a.startsWith('ok ')).length
  // A burst of twice the rate, then the rate.
  assert.ok(made >= 10 && made <= 10 + 5 * seconds + 1, `one connection made ${made} sessions in ${seconds} s`)
  assert.ok(answers.filter(a => a === 'err Too many new sessions; retry later').length === 500 - made)
  assert.match(await c.send('put k v'), /^ok$/, 'the last session made is still open')

  // Many connections share the listener's limit.
  const many = await Promise.all(Array.from({ length: 20 }, () => client()))
  const before = Date.now()
  const each = await Promise.all(many.map(async (m) => {
    m.socket.write('new\r\n'.repeat(10))
    let ok = 0
    for (let i = 0; i < 10; i++) if ((await m.next()).startsWith('ok ')) ok++
    return ok
  }))
  const total = each.reduce((a, b) => a + b, 0)
  const elapsed = (Date.now() - started) / 1000
  assert.ok(total <= 40 + 20 * elapsed, `20 connections made ${total} sessions (the listener allows 40 at once, then 20 a second)`)
  assert.ok(Date.now() - before < 5000)
  assert.ok((await store.gc()) === 0)
})

test('with a secret, the first command must be auth <secret>; anything else or a wrong secret is answered and the connection closed', async (t) => {
  const { client } = await serve(t, {}, { secret: Buffer.from('s3cret with spaces') })
  const none = await client()
  assert.equal(await none.send('new'), 'err Authentication required')
  await none.closed
  const wrong = await client()
  assert.equal(await wrong.send('auth s3cret'), 'err Authentication failed')
  await wrong.closed
  const right = await client()
  assert.equal(await right.send('auth s3cret with spaces'), 'ok')
  assert.match(await right.send('new'), /^ok [0-9a-f]{64}$/)
  assert.equal(await right.send('put k v'), 'ok')
  // Pipelined after the auth line, in one write, the commands run as usual.
  const piped = await client()
  piped.socket.write('auth s3cret with spaces\r\nnew\r\nput a b\r\n')
  assert.equal(await piped.next(), 'ok')
  assert.match(await piped.next(), /^ok /)
  assert.equal(await piped.next(), 'ok')
})

test('connections from one address past the limit are refused with err Too many connections', async (t) => {
  const { client } = await serve(t, {}, { maxConnectionsPerAddress: 3 })
  const kept = await Promise.all([client(), client(), client()])
  const refused = await client()
  assert.equal(await refused.next(), 'err Too many connections')
  await refused.closed
  for (const c of kept) assert.match(await c.send('new'), /^ok /)
  kept[0].socket.destroy()
  await kept[0].closed
  // The freed place is taken again once the server has seen the close.
  let again = await client()
  for (let i = 0; i < 50 && (await again.send('new')).startsWith('err'); i++) {
    await new Promise(resolve => setTimeout(resolve, 20))
    again = await client()
  }
  assert.match(await again.send('new'), /^ok /)
})
