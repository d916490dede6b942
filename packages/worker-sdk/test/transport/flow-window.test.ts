import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { FlowWindow } from '../../src/transport/flow-window.ts'

test('sent answers true below the limit and false at or over it', () => {
  const w = new FlowWindow(100)
  assert.equal(w.sent(60), true)
  assert.equal(w.sent(39), true)
  assert.equal(w.sent(1), false, 'exactly at the limit the sender must wait')
  assert.equal(w.sent(50), false, 'over the limit too')
})

test('room() resolves at once while there is room', async () => {
  const w = new FlowWindow(100)
  w.sent(10)
  await w.room()
})

test('room() waits while the window is full and resolves after release', async () => {
  const w = new FlowWindow(100)
  w.sent(150)
  let resolved = false
  const room = w.room().then(() => { resolved = true })
  await nextTurn()
  assert.equal(resolved, false, 'no room before an ack')
  w.release(40)
  await nextTurn()
  assert.equal(resolved, false, '110 bytes still in flight, over the limit')
  w.release(20)
  await room
  assert.equal(resolved, true)
})

test('release never counts below zero', async () => {
  const w = new FlowWindow(100)
  w.release(1000)
  assert.equal(w.sent(99), true, 'an over-release must not buy extra room')
  assert.equal(w.sent(1), false)
})

test('close(err) rejects the waiting room() and every later one', async () => {
  const w = new FlowWindow(10)
  w.sent(10)
  const waiting = w.room()
  const err = new Error('stream over')
  w.close(err)
  await assert.rejects(waiting, (e) => e === err)
  await assert.rejects(w.room(), (e) => e === err)
  w.release(10)
  await assert.rejects(w.room(), (e) => e === err, 'room after release still fails once closed')
})

test('a second close keeps the first error', async () => {
  const w = new FlowWindow(10)
  const first = new Error('first')
  w.close(first)
  w.close(new Error('second'))
  await assert.rejects(w.room(), (e) => e === first)
})
