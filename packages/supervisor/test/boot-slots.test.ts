import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { BootSlots } from '../src/boot-slots.ts'

test('at most n starts run at once, the others start in the order they came, and a failed one frees its slot', async () => {
  const slots = new BootSlots(2)
  let running = 0
  let most = 0
  const started: number[] = []
  const runs = Array.from({ length: 6 }, (_, i) => slots.run(async () => {
    started.push(i)
    running++
    most = Math.max(most, running)
    await sleep(10)
    running--
    if (i === 1) throw new Error('boot failed')
    return i
  }))
  const results = await Promise.allSettled(runs)
  assert.equal(most, 2)
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5])
  assert.equal(results[1].status, 'rejected')
  assert.deepEqual(results.filter(r => r.status === 'fulfilled').map(r => (r as PromiseFulfilledResult<number>).value), [0, 2, 3, 4, 5])
  assert.equal(slots.waiting, 0)
})
