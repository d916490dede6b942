import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { MemoryStore } from '@sessiond/session-store'
import { MovingError, StaleEpochError } from '../src/errors.ts'
import { Supervisor } from '../src/supervisor.ts'
import type { PlacementGuard } from '../src/supervisor.ts'
import { bodyBytes, fixture, realm } from './helpers.ts'

/** A directory of one host: the epoch each slot is placed under here, as cluster-supervisor.ts keeps it in Redis. */
function directory (): PlacementGuard & { epochs: Map<string, number>, asked: number } {
  const epochs = new Map<string, number>()
  return {
    epochs,
    asked: 0,
    async confirm (sessionId, realmName, epoch) {
      this.asked++
      if (epochs.get(sessionId + realmName) !== epoch) throw new StaleEpochError(realmName)
      return {}
    }
  }
}

function setup (t: import('node:test').TestContext, guard: PlacementGuard) {
  const store = new MemoryStore()
  const supervisor = new Supervisor({ realms: [realm({ handler: fixture('lifecycle.ts') })], store, logger: pino({ level: 'silent' }), placement: guard })
  t.after(async () => {
    await supervisor.close()
    await store.close()
  })
  const get = async (sessionId: string, epoch: number, path = '/') => {
    const res = await supervisor.dispatch({ identity: { sessionId, user: 'alice' }, realm: 'r', method: 'GET', url: 'http://test' + path, headers: [], body: null, epoch })
    return JSON.parse(Buffer.from(await bodyBytes(res)).toString())
  }
  return { store, supervisor, get }
}

const code = (c: string, status: number) => (err: unknown) => (err as { code?: string }).code === c && (err as { statusCode?: number }).statusCode === status

test('a worker serves only the placement epoch it started under: an older one is refused with 421, a newer one replaces it', async (t) => {
  const guard = directory()
  const { store, supervisor, get } = setup(t, guard)
  const s = await store.create('alice', 60_000)
  await assert.rejects(get(s.id, 1), code('SUP_ERR_STALE_EPOCH', 421), 'no worker starts for a placement this host does not hold')
  assert.equal(supervisor.hasWorker(s.id, 'r'), false)
  guard.epochs.set(s.id + 'r', 2)
  const first = await get(s.id, 2)
  assert.equal((await get(s.id, 2)).count, 2)
  const asked = guard.asked
  await get(s.id, 2)
  assert.equal(guard.asked, asked, 'a live worker of the epoch asks the directory nothing')
  await assert.rejects(get(s.id, 1), code('SUP_ERR_STALE_EPOCH', 421))
  // The slot moved away and back meanwhile: the worker from before must not serve the new placement.
  // (As the Redis directory does, the new placement raises the slot's epoch in the store.)
  guard.epochs.set(s.id + 'r', 4)
  await store.clearWorkerState(s.id, 'r', { epoch: 4 })
  const next = await get(s.id, 4)
  assert.notEqual(next.startedAt, first.startedAt, 'a new worker')
  assert.equal(next.resumedFrom, null, 'the stale worker\'s hibernation was refused by its epoch, so nothing resumes from it')
  assert.equal(next.count, 1)
})

test('a move holds new requests off with SUP_ERR_MOVING, lets admitted ones finish, and saves the state under the worker\'s epoch', async (t) => {
  const guard = directory()
  const { store, supervisor, get } = setup(t, guard)
  const s = await store.create('alice', 60_000)
  guard.epochs.set(s.id + 'r', 3)
  await get(s.id, 3)
  const slow = get(s.id, 3, '/slow?ms=300')
  await new Promise(resolve => setTimeout(resolve, 50))
  supervisor.beginMove(s.id, 'r')
  await assert.rejects(get(s.id, 3), (err: unknown) => err instanceof MovingError || code('SUP_ERR_MOVING', 421)(err))
  const out = await supervisor.moveOut(s.id, 'r', 5_000)
  assert.equal((await slow).count, 2, 'the request admitted before the move finished on the old worker')
  assert.deepEqual(out, { epoch: 3, saved: true })
  await assert.rejects(get(s.id, 3), code('SUP_ERR_MOVING', 421), 'no new worker starts here while the slot is moving')
  assert.equal(await store.loadWorkerState(s.id, 'r'), '{"count":2}')
  await assert.rejects(store.saveWorkerState(s.id, 'r', '"older"', { epoch: 2 }), code('STORE_ERR_STALE_EPOCH', 409), 'the save carried the worker\'s epoch')
  supervisor.endMove(s.id, 'r')
  assert.equal((await get(s.id, 3)).resumedFrom.count, 2)
})
