import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import pino from 'pino'
import { MemoryStore } from '@sessiond/session-store'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import { Supervisor } from '../src/supervisor.ts'
import type { WorkerRealm } from '../src/config.ts'
import { bodyBytes, eventually, fixture, realm } from './helpers.ts'

interface LogLine { level: number, msg: string, session?: string, err?: { code?: string, message?: string }, [key: string]: unknown }

/** Polls an async fact until it holds. */
async function until<T> (read: () => Promise<T>, holds: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = await read()
    if (holds(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const contextRealm = (over: Partial<WorkerRealm> = {}): WorkerRealm =>
  realm({ name: 'c', kind: 'context', handler: fixture('context-probe.ts'), threads: 1, ...over })

/** A supervisor whose log lines are kept, and a GET that answers the status and the JSON. */
function setup (t: TestContext, realms: WorkerRealm[] = [contextRealm()]) {
  const store = new MemoryStore()
  const lines: LogLine[] = []
  const logger = pino({ level: 'warn' }, { write: (s: string) => { lines.push(JSON.parse(s) as LogLine) } })
  const supervisor = new Supervisor({ realms, store, logger })
  t.after(async () => {
    await supervisor.close()
    await store.close()
  })
  const get = async (sessionId: string, path = '/', realmName = realms[0].name) => {
    const res = await supervisor.dispatch({ identity: { sessionId, user: 'u' }, realm: realmName, method: 'GET', url: 'http://test' + path, headers: [], body: null })
    return { status: res.status, json: JSON.parse(Buffer.from(await bodyBytes(res)).toString()) }
  }
  const session = async () => (await store.create('u', 60_000)).id
  return { store, supervisor, get, session, lines }
}

test('two sessions on one shared thread keep their own globals, module state and built-in prototypes', async (t) => {
  const { get, session } = setup(t)
  const a = await session()
  const b = await session()
  await get(a)
  const a2 = await get(a)
  const b1 = await get(b)
  assert.equal(a2.json.threadId, b1.json.threadId, 'both sessions are on the one thread')
  assert.equal(a2.json.count, 2)
  assert.equal(b1.json.count, 1, 'module state is per session')
  await get(a, '/mark?mark=alice')
  assert.deepEqual((await get(a, '/look')).json, { global: 'alice', objectProto: 'alice', arrayProto: 'alice', count: 2 })
  assert.deepEqual((await get(b, '/look')).json, { global: null, objectProto: null, arrayProto: null, count: 1 }, 'nothing of the other session shows')
})

test('an idle stop hibernates a context session, and its next worker resumes from the state in a new context', async (t) => {
  const { store, supervisor, get, session } = setup(t, [contextRealm({ idleTimeout: 100 })])
  const a = await session()
  await get(a)
  await get(a)
  await eventually(() => !supervisor.hasWorker(a, 'c'), 'the worker was reaped')
  const saved = await until(() => store.loadWorkerState(a, 'c'), v => v !== undefined, 'the state was saved')
  assert.deepEqual(JSON.parse(saved!), { count: 2 })
  const resumed = await get(a)
  assert.deepEqual(resumed.json.resumedFrom, { count: 2 })
  assert.equal(resumed.json.count, 3)
})

test('ctx.store reaches the session\'s own data from a context', async (t) => {
  const { store, get, session } = setup(t)
  const a = await session()
  const b = await session()
  assert.deepEqual((await get(a, '/store')).json, { seen: '1' })
  assert.deepEqual((await get(a, '/store')).json, { seen: '2' })
  assert.deepEqual((await get(b, '/store')).json, { seen: '1' })
  assert.equal(await store.get(a, 'seen'), '2')
})

for (const kind of ['context', 'thread'] as const) {
  test(`kind ${kind}: checkpoint saves the handler's state periodically while the worker goes on serving`, async (t) => {
    const { store, get, session } = setup(t, [contextRealm({ kind, checkpoint: 50, ...(kind === 'thread' && { threads: undefined }) })])
    const a = await session()
    const first = await get(a)
    await get(a)
    await until(() => store.loadWorkerState(a, 'c'), v => v !== undefined && JSON.parse(v).count === 2, 'a checkpoint of the state was saved')
    const after = await get(a)
    assert.equal(after.json.count, 3, 'the same worker goes on counting')
    assert.equal(after.json.threadId, first.json.threadId)
  })
}

test('a hang past requestTimeout recycles the thread: the hung session crashes, the others restart from their last checkpoint, each saying what it lost', async (t) => {
  const { store, supervisor, get, session, lines } = setup(t, [contextRealm({ requestTimeout: 300, checkpoint: 1_500 })])
  const culprit = await session()
  const b = await session()
  const c = await session()
  await get(culprit)
  for (let i = 0; i < 3; i++) await get(b)
  const before = await get(c)
  const saved = await until(() => store.loadWorkerState(b, 'c'), v => v !== undefined, 'b has a checkpoint')
  assert.deepEqual(JSON.parse(saved!), { count: 3 })
  // Two more that no checkpoint holds yet.
  await get(b)
  await get(b)
  await assert.rejects(get(culprit, '/spin'), { code: 'SUP_ERR_WORKER_TIMEOUT', statusCode: 504 })

  const restarted = await get(b)
  assert.notEqual(restarted.json.threadId, before.json.threadId, 'a new thread')
  assert.deepEqual(restarted.json.resumedFrom, { count: 3 }, 'from its checkpoint')
  assert.equal(restarted.json.count, 4)
  assert.equal((await get(c)).json.count, 2, 'c restarted from its own checkpoint')
  const lost = lines.filter(l => l.session === sessionHash(b) && /recycled/.test(l.msg))
  assert.equal(lost.length, 1, 'one log line for b')
  assert.match(lost[0].msg, /restarted from its checkpoint of [\d.]+ s ago; the 2 requests since are lost/)
  assert.equal(lost[0].requestsLost, 2)
  assert.equal(supervisor.stats().crashed, 1, 'only the session that hung the thread crashed')
  const crash = lines.find(l => l.session === sessionHash(culprit) && l.msg === 'worker exited unexpectedly')
  assert.equal(crash?.err?.code, 'SUP_ERR_CONTEXT_THREAD_LOST')
  // Its next request is a new worker, resumed from its checkpoint in the store.
  assert.equal((await get(culprit)).json.count, 2)
})

test('a request stuck on what never comes, on a thread that still answers, recycles that session\'s context only', async (t) => {
  const { supervisor, get, session } = setup(t, [contextRealm({ requestTimeout: 200 })])
  const a = await session()
  const b = await session()
  await get(a)
  const b1 = await get(b)
  await assert.rejects(get(a, '/wait'), { code: 'SUP_ERR_WORKER_TIMEOUT' })
  const b2 = await get(b)
  assert.equal(b2.json.threadId, b1.json.threadId, 'the thread lives on')
  assert.equal(b2.json.count, 2, 'and so does the other session')
  assert.equal((await get(a)).json.count, 1, 'a new context for the stuck session')
  assert.equal(supervisor.stats().crashed, 1)
})

for (const path of ['/throw-later', '/reject-later']) {
  test(`an error nobody catches in a session's code (${path}) ends that session only`, async (t) => {
    const { supervisor, get, session } = setup(t)
    const a = await session()
    const b = await session()
    await get(a)
    const b1 = await get(b)
    await get(a, path)
    await eventually(() => !supervisor.hasWorker(a, 'c'), 'the session\'s worker ended')
    const b2 = await get(b)
    assert.equal(b2.json.count, 2, 'the other session keeps its state')
    assert.equal(b2.json.threadId, b1.json.threadId, 'on the same thread')
    assert.equal((await get(a)).json.count, 1)
  })
}

test('a session\'s timers end with it', async (t) => {
  const { supervisor, get, session } = setup(t)
  const a = await session()
  const b = await session()
  await get(a, '/tick')
  await until(() => get(b, '/ticks'), r => r.json.ticks > 3, 'a\'s interval runs')
  await supervisor.stopSession(a)
  const stopped = (await get(b, '/ticks')).json.ticks
  await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal((await get(b, '/ticks')).json.ticks, stopped, 'nothing of a runs after its stop')
})

test('a new session claims a spare context whose modules were instantiated before it', async (t) => {
  const { supervisor, get, session } = setup(t, [contextRealm({ handler: fixture('lifecycle.ts'), spares: 1 })])
  await eventually(() => supervisor.stats().spares.c?.ready === 1, 'the spare is ready')
  const a = await session()
  const claimedAt = Date.now()
  const first = (await get(a)).json
  assert.ok(first.loadedAt < claimedAt, 'the handler\'s modules ran ahead of the session')
  assert.ok(first.startedAt >= claimedAt, 'start ran at the claim')
  assert.equal(first.session, a)
  assert.equal(supervisor.stats().claimedSpares, 1)
  await eventually(() => supervisor.stats().spares.c?.ready === 1, 'the pool refilled')
  const second = (await get(await session())).json
  assert.equal(second.count, 1, 'the next session has modules of its own')
  assert.ok(second.loadedAt > first.loadedAt)
})

for (const [name, why] of [['native-addon.ts', /native addon/], ['top-level-await.ts', /top-level await/]] as const) {
  test(`a handler kind context cannot run (${name}) is refused at start, naming the file`, () => {
    assert.throws(() => new Supervisor({ realms: [contextRealm({ handler: fixture(name) })], store: new MemoryStore(), logger: pino({ level: 'silent' }) }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SUP_ERR_CONTEXT_BUNDLE')
      assert.match(err.message, why)
      assert.match(err.message, new RegExp(name.replace('.', '\\.')))
      return true
    })
  })
}
