import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { SerialByKey } from '../src/serial-by-key.ts'

test('tasks of one key run one after another; other keys run alongside', async () => {
  const serial = new SerialByKey()
  const log: string[] = []
  const task = (name: string, ms: number) => async () => {
    log.push(`${name} start`)
    await sleep(ms)
    log.push(`${name} end`)
    return name
  }
  const results = await Promise.all([serial.run('a', task('a1', 30)), serial.run('a', task('a2', 1)), serial.run('b', task('b1', 5))])
  assert.deepEqual(results, ['a1', 'a2', 'b1'])
  assert.ok(log.indexOf('a1 end') < log.indexOf('a2 start'), log.join(', '))
  assert.ok(log.indexOf('b1 start') < log.indexOf('a1 end'), 'b did not wait for a')
  assert.equal(serial.size, 0, 'nothing kept once idle')
})

test('a failed task does not fail the next one of its key', async () => {
  const serial = new SerialByKey()
  const first = serial.run('k', async () => { throw new Error('no') })
  const second = serial.run('k', async () => 'yes')
  await assert.rejects(first, /no/)
  assert.equal(await second, 'yes')
})
