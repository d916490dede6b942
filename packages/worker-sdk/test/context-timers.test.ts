import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ContextTimers } from '../src/context-timers.ts'

type Globals = {
  setTimeout: typeof setTimeout
  setInterval: typeof setInterval
  setImmediate: typeof setImmediate
  clearTimeout: typeof clearTimeout
}

test('dispose cancels every timer, interval and immediate still pending', async () => {
  const timers = new ContextTimers(() => {}, () => {})
  const g = timers.globals() as unknown as Globals
  let fired = 0
  g.setTimeout(() => fired++, 5)
  g.setInterval(() => fired++, 5)
  g.setImmediate(() => fired++)
  assert.equal(timers.pending, 3)
  timers.dispose()
  await sleep(30)
  assert.equal(fired, 0)
  assert.equal(timers.pending, 0)
})

test('a callback that throws goes to onError, after enter marked the session as running', async () => {
  const seen: string[] = []
  const timers = new ContextTimers(() => seen.push('enter'), (err) => seen.push((err as Error).message))
  const g = timers.globals() as unknown as Globals
  g.setTimeout(() => { throw new Error('boom') }, 1)
  await sleep(20)
  assert.deepEqual(seen, ['enter', 'boom'])
  assert.equal(timers.pending, 0, 'a timeout that fired is no longer tracked')
})

test('a cleared timer never runs and is no longer tracked; promisify keeps working', async () => {
  const timers = new ContextTimers(() => {}, () => {})
  const g = timers.globals() as unknown as Globals
  let fired = false
  const t = g.setTimeout(() => { fired = true }, 5)
  g.clearTimeout(t)
  assert.equal(timers.pending, 0)
  assert.equal(await promisify(g.setTimeout)(1, 'value'), 'value')
  await sleep(20)
  assert.equal(fired, false)
})
