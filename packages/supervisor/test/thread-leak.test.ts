// Issue 15, finding 5: threads left behind after uncaught exceptions under
// load. The count of the daemon's threads must come back to what it was once
// every thread worker has gone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { eventually, realm, setupKinds } from './helpers.ts'

const threads = () => readdirSync('/proc/self/task').length

test('threads whose workers die of uncaught exceptions under load all go: none outlives its worker', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'r' })])
  // Node's own helper threads (the libuv pool, the inspector) start on first use: warm them first.
  const warm = await store.create('warm', 60_000)
  await call(warm.id, 'warm', 'r')
  await supervisor.stopSession(warm.id)
  await eventually(() => supervisor.stats().workers === 0, 'the warm-up worker stopped')
  await sleep(200)
  const before = threads()

  const sessions = await Promise.all(Array.from({ length: 10 }, (_, i) => store.create(`u${i}`, 60_000)))
  const until = Date.now() + 5_000
  const loop = async (id: string, user: string, n: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const path = (i + n) % 4 === 0 ? '/throw-later' : '/'
      await call(id, user, 'r', path).catch(() => null)
      await sleep(50)
    }
  }
  await Promise.all(sessions.flatMap((s, i) => [loop(s.id, `u${i}`, 0), loop(s.id, `u${i}`, 2)]))
  const { crashed } = supervisor.stats()
  assert.ok(crashed >= 10, `workers crashed under load (${crashed})`)
  await Promise.all(sessions.map(s => supervisor.stopSession(s.id)))
  await eventually(() => supervisor.stats().workers === 0, 'every worker stopped')
  await eventually(() => threads() <= before, `the daemon is back to ${before} threads (has ${threads()})`, 5_000)
})
