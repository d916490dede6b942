import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { LAB, cookieOf, startDaemon } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { redisSkipReason, startRedis } from '../packages/session-store/test/redis-server.ts'

// Issue 15, finding 10: after a Redis restart without persistence, the
// workers of vanished sessions kept answering for 51–56 s, until the
// daemon's minute sweep. The store notices the loss at the reconnect.

test('a Redis restarted without its data stops the workers of the sessions it lost at once, not at the next sweep', { skip: redisSkipReason() }, async (t) => {
  let redis = await startRedis()
  t.after(() => redis.stop())
  const d = await startInProcessDaemon(t, { store: { kind: 'redis', url: redis.url }, realms: [{ name: 'lab', mount: '/lab', handler: LAB, auth: 'anonymous' }] })
  const cookies: string[] = []
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${d.url}/lab/count`)
    assert.equal(res.status, 200)
    await res.arrayBuffer()
    cookies.push(cookieOf(res))
  }
  assert.equal((await d.supervisor.sessions()).length, 3)

  await redis.stop()
  redis = await startRedis(redis.port)
  const back = Date.now()
  while ((await d.supervisor.sessions()).length > 0 && Date.now() - back < 10_000) await sleep(20)
  assert.deepEqual(await d.supervisor.sessions(), [], 'no worker serves a session the store lost')
  assert.ok(Date.now() - back < 3000, `stopped ${Date.now() - back} ms after the restart`)
  // The visitor is simply new: an anonymous realm gives them a fresh session.
  const res = await fetch(`${d.url}/lab/count`, { headers: { cookie: cookies[0] } })
  assert.equal(res.status, 200)
  assert.equal((await res.json()).count, 1)
})

test('a daemon on a Redis without persistence says so in one warning line at start', { skip: redisSkipReason() }, async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const d = await startDaemon(t, { extra: { store: { kind: 'redis', url: redis.url } } })
  const lines = d.output().split('\n').filter(l => l.includes('can lose sessions'))
  assert.equal(lines.length, 1)
  assert.match(lines[0], /appendonly is no/)
  assert.equal(JSON.parse(lines[0]).level, 40)
})
