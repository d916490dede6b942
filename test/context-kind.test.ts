import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ROOT, getJson, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

test('the counter and Hono examples run unchanged as kind context: state per session, and the counter keeps counting across an idle stop', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'counter', mount: '/counter', kind: 'context', handler: join(ROOT, 'examples/counter/handler.ts'), idleTimeout: '200ms' },
      { name: 'notes', mount: '/notes', kind: 'context', handler: join(ROOT, 'examples/hono-notes/handler.ts') }
    ]
  })
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  const first = await getJson(d.url + '/counter/', alice)
  assert.equal((await getJson(d.url + '/counter/', alice)).body.count, 2)
  const other = await getJson(d.url + '/counter/', bob)
  assert.equal(other.body.count, 1, 'another session counts on its own')
  assert.equal(other.body.worker.threadId, first.body.worker.threadId, 'on the same shared thread')

  const created = await getJson(d.url + '/notes/notes', alice, { method: 'POST', body: JSON.stringify({ text: 'buy milk' }), headers: { 'content-type': 'application/json' } })
  assert.equal(created.status, 201)
  assert.deepEqual((await getJson(d.url + '/notes/', alice)).body, { notes: [{ id: 1, text: 'buy milk' }] })
  assert.deepEqual((await getJson(d.url + '/notes/', bob)).body, { notes: [] }, 'notes are per session')

  // The idle timeout and a sweep pass: the counter hibernates, and its next context resumes.
  await sleep(600)
  assert.equal((await getJson(d.url + '/counter/', alice)).body.count, 3)
})

test('sessiond start refuses a kind context handler that loads a native addon, naming the realm and the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-ctx-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const handler = join(ROOT, 'packages/supervisor/test/fixtures/native-addon.ts')
  const file = join(dir, 'sessiond.yaml')
  await writeFile(file, `realms:\n  - { name: addon, mount: /addon, kind: context, handler: ${handler} }\n`)
  const r = await runCli(['start', '--config', file, '--listen', '127.0.0.1:0', '--data', join(dir, 'data')], { killAfterMs: 30_000 })
  assert.notEqual(r.code, 0)
  assert.doesNotMatch(r.stdout, /listening/)
  assert.match(r.stderr, /realm addon: kind context cannot run handler .*native-addon\.ts: .*native addon/)
})

test('sessiond check reports a kind context handler that cannot be bundled, as start would', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-ctx-check-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'sessiond.yaml')
  await writeFile(file, `realms:\n  - { name: addon, mount: /addon, kind: context, handler: ${join(ROOT, 'packages/supervisor/test/fixtures/native-addon.ts')} }\n  - { name: hello, mount: /hello, kind: context, handler: ${join(ROOT, 'bench/fixtures/hello.ts')} }\n`)
  const r = await runCli(['check', '--config', file, '--data', join(dir, 'data')], { killAfterMs: 30_000 })
  assert.notEqual(r.code, 0)
  assert.match(r.stdout, /realm hello \(\/hello\/, context\): handler .* loads/)
  assert.match(r.stderr, /realm addon: kind context cannot run handler .*native-addon\.ts: .*native addon/)
})
