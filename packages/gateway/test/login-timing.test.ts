import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { UsersFile } from '../src/users-file.ts'

async function median (n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]
}

test('an unknown user costs about the time of a wrong password (a dummy hash is checked)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-timing-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const users = new UsersFile(join(dir, 'users.json'))
  await users.add('alice', 'alice-password')
  await users.prepare()
  const wrong = await median(3, () => users.verify('alice', 'not-her-password'))
  const unknown = await median(3, () => users.verify('mallory', 'not-her-password'))
  const ratio = unknown / wrong
  assert.ok(ratio > 0.5 && ratio < 2, `unknown ${unknown.toFixed(0)} ms, wrong ${wrong.toFixed(0)} ms`)
})
