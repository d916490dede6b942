import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { fixture, realm, setupKinds } from './helpers.ts'

const PYTHON_NOTES = fileURLToPath(new URL('../../../examples/python-notes/app.py', import.meta.url))

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('kind process: each session gets its own Node process that keeps state; logout ends it', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'p', kind: 'process', handler: fixture('process-counter.ts') })])
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  const a1 = JSON.parse((await call(a.id, 'alice', 'p')).text)
  const a2 = JSON.parse((await call(a.id, 'alice', 'p')).text)
  const b1 = JSON.parse((await call(b.id, 'bob', 'p')).text)
  assert.deepEqual([a1.count, a2.count, b1.count], [1, 2, 1])
  assert.equal(a1.pid, a2.pid)
  assert.notEqual(a1.pid, b1.pid)
  assert.notEqual(a1.pid, process.pid)
  assert.equal(a1.user, 'alice')
  await supervisor.stopSession(a.id)
  assert.equal(alive(a1.pid), false, 'the process is gone after logout')
  assert.equal(alive(b1.pid), true)
})

test('kind process: a request body streams to the child and back', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'p', kind: 'process', handler: fixture('process-counter.ts') })])
  const s = await store.create('alice', 60_000)
  const payload = Buffer.alloc(3 * 1024 * 1024, 7)
  const res = await call(s.id, 'alice', 'p', '/echo', { method: 'POST', body: Readable.from([payload.subarray(0, 1e6), payload.subarray(1e6)]) })
  assert.equal(res.status, 200)
  assert.equal(res.text.length, payload.length)
})

test('kind process: a child that dies fails its requests with 502 and the next request starts a new one', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'p', kind: 'process', handler: fixture('process-counter.ts') })])
  const s = await store.create('alice', 60_000)
  const before = JSON.parse((await call(s.id, 'alice', 'p')).text)
  await call(s.id, 'alice', 'p', '/exit')
  // Wait for the exit to land, then the slot starts afresh.
  for (let i = 0; i < 100 && alive(before.pid); i++) await new Promise(resolve => setTimeout(resolve, 20))
  const after = JSON.parse((await call(s.id, 'alice', 'p')).text)
  assert.notEqual(after.pid, before.pid)
  assert.equal(after.count, 1)
})

test('kind exec: an unmodified `python3 -m http.server` on $PORT is a per-session file browser', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'files', kind: 'exec', handler: undefined, listen: 'port', command: ['/usr/bin/python3', '-m', 'http.server', '--bind', '127.0.0.1', '$PORT'], runAs: { user: 'nobody' } })])
  const s = await store.create('alice', 60_000)
  const res = await call(s.id, 'alice', 'files', '/')
  assert.equal(res.status, 200)
  assert.match(res.text, /Directory listing for \//)
})

test('kind exec: a stdlib Python app on a unix socket keeps per-session notes and reads X-Sessiond-User, never the client\'s', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'notes', kind: 'exec', handler: undefined, command: ['/usr/bin/python3', PYTHON_NOTES] })])
  const a = await store.create('alice', 60_000)
  const b = await store.create('bob', 60_000)
  // As the gateway does: the client's Content-Length travels with the streamed body.
  const created = await call(a.id, 'alice', 'notes', '/', { method: 'POST', body: Readable.from([Buffer.from('buy milk')]), headers: ['content-length', '8'] })
  assert.equal(created.status, 201)
  const mine = JSON.parse((await call(a.id, 'alice', 'notes')).text)
  const theirs = JSON.parse((await call(b.id, 'bob', 'notes')).text)
  assert.deepEqual(mine.notes, ['buy milk'])
  assert.equal(mine.user, 'alice', 'the supervisor\'s header wins over the spoofed one')
  assert.deepEqual(theirs.notes, [])
  assert.equal(theirs.user, 'bob')
  assert.notEqual(mine.pid, theirs.pid)
})

test('kind exec: a command that never listens is a coded 504 within its start timeout', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'mute', kind: 'exec', handler: undefined, startTimeout: 400, command: ['sleep', '30'] })])
  const s = await store.create('alice', 60_000)
  await assert.rejects(call(s.id, 'alice', 'mute'), { code: 'SUP_ERR_WORKER_START_TIMEOUT', statusCode: 504 })
  assert.equal(supervisor.stats().workers, 0)
})

test('kind exec: a command that exits at once is a coded 502', async (t) => {
  const { store, call } = await setupKinds(t, [realm({ name: 'gone', kind: 'exec', handler: undefined, command: ['false'] })])
  const s = await store.create('alice', 60_000)
  await assert.rejects(call(s.id, 'alice', 'gone'), { code: 'SUP_ERR_WORKER_START', statusCode: 502 })
})
