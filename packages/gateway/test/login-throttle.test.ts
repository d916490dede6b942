import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LoginThrottle } from '../src/login-throttle.ts'

function clocked (opts = {}) {
  let now = 1_000_000
  const throttle = new LoginThrottle({ freeAttempts: 2, delayMs: 1000, maxDelayMs: 8000, now: () => now, ...opts })
  return { throttle, tick: (ms: number) => { now += ms } }
}

test('free attempts, then delays that double up to the cap', () => {
  const { throttle, tick } = clocked()
  throttle.fail('k')
  throttle.fail('k')
  assert.equal(throttle.retryAfter('k'), 0)
  const delays: number[] = []
  for (let i = 0; i < 6; i++) {
    throttle.fail('k')
    delays.push(throttle.retryAfter('k'))
    tick(throttle.retryAfter('k'))
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000])
  assert.equal(throttle.retryAfter('other'), 0, 'keys are counted apart')
})

test('success clears a key', () => {
  const { throttle } = clocked()
  for (let i = 0; i < 3; i++) throttle.fail('k')
  assert.ok(throttle.retryAfter('k') > 0)
  throttle.succeed('k')
  assert.equal(throttle.retryAfter('k'), 0)
  assert.equal(throttle.size, 0)
})

test('a key quiet for longer than the cap is forgotten', () => {
  const { throttle, tick } = clocked()
  for (let i = 0; i < 3; i++) throttle.fail('k')
  tick(8001)
  assert.equal(throttle.retryAfter('k'), 0)
  throttle.fail('k')
  assert.equal(throttle.retryAfter('k'), 0, 'counting starts over')
})

test('at most maxKeys keys are remembered, the longest quiet dropped first', () => {
  const { throttle } = clocked({ maxKeys: 3 })
  for (const k of ['a', 'b', 'c', 'a', 'd']) throttle.fail(k)
  assert.equal(throttle.size, 3)
  for (let i = 0; i < 3; i++) throttle.fail('a')
  assert.ok(throttle.retryAfter('a') > 0, 'a was kept: it failed again after b')
})
