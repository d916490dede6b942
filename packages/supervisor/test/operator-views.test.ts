// What operators see of a supervisor (workers, status) and what they do to
// one slot (stop, hibernate, restart), on real thread and process workers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import { fixture, realm, setup, setupKinds } from './helpers.ts'

test('workers() shows each slot by session hash with its kind, state, thread, account, requests and measured usage', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'a' })])
  const s = await store.create('alice', 60_000)
  const first = await get(s.id, 'alice', '/', 'a')
  await get(s.id, 'alice', '/', 'a')
  const [w] = await supervisor.workers({ usage: true })
  assert.equal(w.id, `${sessionHash(s.id)}.a`)
  assert.equal(w.session, sessionHash(s.id))
  assert.ok(!JSON.stringify(w).includes(s.id), 'the raw session id never appears')
  assert.deepEqual([w.realm, w.kind, w.state, w.user, w.threadId, w.pid, w.requests, w.inFlight, w.queued, w.restarts],
    ['a', 'thread', 'ready', 'alice', first.json.threadId, null, 2, 0, 0, 0])
  assert.equal(w.uid, process.getuid?.())
  assert.ok(w.heapUsedBytes! > 0 && w.cpuSeconds! > 0, `a thread's own heap and CPU time: ${w.heapUsedBytes} ${w.cpuSeconds}`)
  assert.equal(w.rssBytes, null, 'a thread has no memory of its own apart from the daemon')
  assert.ok(w.startedAt! <= Date.now() && w.lastActivity! >= w.startedAt!)
  assert.deepEqual(await supervisor.workers({ user: 'bob' }), [])
  assert.equal((await supervisor.workers({ state: 'ready', realm: 'a' })).length, 1)
})

test('a request in flight makes its worker busy; a slow start shows as starting', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'a' }), realm({ name: 'slow', handler: fixture('slow-start.ts'), startTimeout: 1_500 })])
  const s = await store.create('alice', 60_000)
  await get(s.id, 'alice', '/', 'a')
  void get(s.id, 'alice', '/hang', 'a').catch(() => { /* ended at close */ })
  void get(s.id, 'alice', '/', 'slow').catch(() => { /* ended at close */ })
  let states: string[] = []
  for (let i = 0; i < 100 && states.join() !== 'busy,starting'; i++) {
    states = (await supervisor.workers()).map(w => w.state).sort()
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  assert.deepEqual(states, ['busy', 'starting'])
})

test('hibernate keeps the state for the next request; stop drops it; restart starts a new worker that resumes', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'h', handler: fixture('resumable.ts') })])
  const s = await store.create('alice', 60_000)
  const target = { session: sessionHash(s.id), realm: 'h' }
  const one = await get(s.id, 'alice', '/', 'h')

  const hibernated = await supervisor.workerAction(target, 'hibernate')
  assert.equal(hibernated.before.state, 'ready')
  assert.equal(hibernated.after?.state, 'hibernated')
  assert.equal((await get(s.id, 'alice', '/', 'h')).json.count, 2, 'resumed from the hibernated count')

  const restarted = await supervisor.workerAction(target, 'restart')
  assert.equal(restarted.after?.state, 'ready', 'a new worker is ready at once')
  assert.notEqual(restarted.after?.threadId, one.json.threadId)
  assert.equal(restarted.after?.restarts, 1)
  assert.equal((await get(s.id, 'alice', '/', 'h')).json.count, 3, 'the restarted worker resumed')

  const stopped = await supervisor.workerAction(target, 'stop')
  assert.equal(stopped.after, null, 'nothing is left of the slot')
  assert.equal((await get(s.id, 'alice', '/', 'h')).json.count, 1, 'the next worker starts afresh')
  await assert.rejects(supervisor.workerAction({ session: 'nosuchhash', realm: 'h' }, 'stop'), { code: 'SUP_ERR_NO_WORKER', statusCode: 404 })

  const { realms: [h] } = await supervisor.status()
  assert.equal(h.counts.spawns, 4)
  assert.equal(h.counts.hibernations, 2)
  assert.equal(h.counts.resumes, 2)
  assert.equal(h.counts.spawnSeconds.count, 4)
  assert.equal(h.workers.ready, 1)
})

test('status counts 503s by reason, the longest queue, crashes and backoffs, and the slot in backoff is listed', async (t) => {
  const { store, supervisor, get } = setup(t, [realm({ name: 'q', concurrency: 1, queue: 1 }), realm({ name: 'c' })])
  const s = await store.create('alice', 60_000)
  await get(s.id, 'alice', '/', 'q')
  const hung = get(s.id, 'alice', '/hang', 'q').catch((err: Error) => err)
  const queued = get(s.id, 'alice', '/', 'q').catch((err: Error) => err)
  await assert.rejects(get(s.id, 'alice', '/', 'q'), { code: 'SUP_ERR_QUEUE_FULL' })
  let q = (await supervisor.status()).realms[0]
  assert.equal(q.queued, 1)
  assert.equal(q.queueLimit, 1)
  assert.equal(q.counts.rejected.queue_full, 1)
  assert.equal(q.counts.peakQueued, 1)
  await supervisor.workerAction({ session: sessionHash(s.id), realm: 'q' }, 'stop')
  await Promise.all([hung, queued])
  // Three crashes within the window put the slot into backoff.
  for (let i = 0; i < 3; i++) {
    await get(s.id, 'alice', '/exit', 'c').catch(() => { /* the answer may lose the race with the exit */ })
    for (let j = 0; j < 200 && supervisor.hasWorker(s.id, 'c'); j++) await new Promise(resolve => setTimeout(resolve, 10))
  }
  await assert.rejects(get(s.id, 'alice', '/', 'c'), { code: 'SUP_ERR_WORKER_BACKOFF' })
  const c = (await supervisor.status()).realms[1]
  assert.equal(c.counts.crashes, 3)
  assert.equal(c.counts.backoffs, 1)
  assert.equal(c.counts.rejected.backoff, 1)
  assert.equal(c.workers.backoff, 1)
  const [w] = await supervisor.workers({ state: 'backoff' })
  assert.equal(w.restarts, 3)
  assert.ok(w.backoffUntil! > Date.now())
  const out = await supervisor.workerAction({ session: w.session, realm: 'c' }, 'restart')
  assert.equal(out.after?.state, 'ready', 'a restart lets the slot out of its backoff')
  q = (await supervisor.status()).realms[0]
  assert.equal(q.counts.queueWaitSeconds.count, 0, 'no request was admitted from the queue')
})

test('a process worker shows its pid, account, resident memory, CPU time and open sockets', async (t) => {
  const { store, supervisor, call } = await setupKinds(t, [realm({ name: 'p', kind: 'process', handler: fixture('process-counter.ts') })])
  const s = await store.create('alice', 60_000)
  const { pid } = JSON.parse((await call(s.id, 'alice', 'p')).text)
  const [w] = await supervisor.workers({ usage: true })
  assert.equal(w.pid, pid)
  assert.equal(w.kind, 'process')
  assert.equal(typeof w.uid, 'number')
  assert.ok(w.rssBytes! > 10 * 1024 * 1024, `a Node process's resident memory: ${w.rssBytes}`)
  assert.ok(w.cpuSeconds! > 0)
  assert.ok(w.openSockets! >= 1, 'at least the socket it serves on')
})
