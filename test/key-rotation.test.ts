import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmod, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { cookieSetBy, getJson, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

async function rotate (dataDir: string) {
  const rotated = await runCli(['keys', 'rotate', '--data', dataDir])
  assert.equal(rotated.code, 0, rotated.output)
}

test('keys rotate: cookies under the previous key open and are re-sealed; a dropped key\'s cookies do not', async (t) => {
  const first = await startDaemon(t)
  const old = await first.login('alice', 'alice-password')
  assert.equal((await getJson(first.url + '/lab/count', old)).status, 200)
  await first.stop()

  await rotate(first.dataDir)
  const keyFile = join(first.dataDir, 'cookie.key')
  assert.equal((await stat(keyFile)).size, 64, 'the new key and the previous one')
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600)
  const second = await startDaemon(t, { dataDir: first.dataDir })
  const res = await getJson(second.url + '/lab/count', old)
  assert.equal(res.status, 200, 'a cookie under the previous key still opens')
  const resealed = cookieSetBy(res)
  assert.ok(resealed && resealed !== old, 'and comes back sealed under the new key')
  await second.stop()

  await rotate(first.dataDir)
  const third = await startDaemon(t, { dataDir: first.dataDir })
  assert.equal((await getJson(third.url + '/lab/count', old)).status, 401, 'the first key is gone: its cookie is refused')
  assert.equal((await getJson(third.url + '/lab/count', resealed)).status, 200, 'the re-sealed cookie lives on')
})

test('start-up refuses a key file that others can read, naming the file', async (t) => {
  const first = await startDaemon(t)
  await first.stop()
  await chmod(join(first.dataDir, 'cookie.key'), 0o644)
  await assert.rejects(startDaemon(t, { dataDir: first.dataDir }), /GW_ERR_KEY_FILE|cookie\.key.*mode 644/)
})
