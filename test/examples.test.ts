import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLI, ROOT, getJson, login, startDaemon } from './helpers/daemon.ts'

test('the demo config boots: it prints its URL and a random demo login that works for the counter and the Hono app', async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'sessiond-demo-'))
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(ROOT, 'examples/demo.yaml'), '--listen', '127.0.0.1:0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    await rm(data, { recursive: true, force: true })
  })
  let url = ''
  let user = ''
  let password = ''
  for await (const line of createInterface({ input: child.stdout })) {
    const listening = /^sessiond listening on (\S+)$/.exec(line)
    if (listening) url = listening[1]
    const demo = /^demo login: (\S+) (\S+)$/.exec(line)
    if (demo) [, user, password] = demo
    if (url && user) break
  }
  assert.equal(user, 'demo')
  assert.ok(password.length >= 16, 'a random password')
  assert.equal((await stat(join(data, 'cookie.key'))).mode & 0o777, 0o600)
  assert.equal((await stat(join(data, 'users.json'))).mode & 0o777, 0o600)

  const a = await login(url, user, password)
  const b = await login(url, user, password)
  const counts: Array<{ user: string, count: number, threadId: number, path: string }> = []
  for (let i = 0; i < 3; i++) counts.push((await getJson(url + '/counter/', a)).body)
  assert.deepEqual(counts.map(c => [c.user, c.count]), [['demo', 1], ['demo', 2], ['demo', 3]])
  assert.equal((await getJson(url + '/counter/', b)).body.count, 1, 'another session counts on its own')

  const created = await getJson(url + '/notes/notes', a, { method: 'POST', body: JSON.stringify({ text: 'buy milk' }), headers: { 'content-type': 'application/json' } })
  assert.equal(created.status, 201)
  assert.deepEqual((await getJson(url + '/notes/', a)).body, { notes: [{ id: 1, text: 'buy milk' }] })
  assert.deepEqual((await getJson(url + '/notes/', b)).body, { notes: [] }, 'notes are per session')
  assert.equal((await getJson(url + '/notes/notes/9', a)).status, 404)

  // SIGTERM stops it cleanly.
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
})

test('a second start of the demo reuses its users and prints the same demo login', async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'sessiond-demo2-'))
  t.after(() => rm(data, { recursive: true, force: true }))
  const boot = async () => {
    const child = spawn(process.execPath, [CLI, 'start', '--config', join(ROOT, 'examples/demo.yaml'), '--listen', '127.0.0.1:0', '--data', data], { stdio: ['ignore', 'pipe', 'inherit'] })
    let demo = ''
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('demo login: ')) {
        demo = line
        break
      }
    }
    child.kill('SIGINT')
    const [code] = await once(child, 'exit')
    return { demo, code }
  }
  const first = await boot()
  const second = await boot()
  assert.equal(first.code, 0, 'SIGINT stops it with exit code 0')
  assert.equal(second.demo, first.demo)
})

test('the counter example keeps counting across an idle stop', async (t) => {
  const d = await startDaemon(t, { realms: [{ name: 'counter', mount: '/counter', handler: join(ROOT, 'examples/counter/handler.ts'), idleTimeout: '200ms' }] })
  const cookie = await d.login('alice', 'alice-password')
  const first = await getJson(d.url + '/counter/', cookie)
  assert.equal((await getJson(d.url + '/counter/', cookie)).body.count, 2)
  // Let the idle timeout and a sweep pass: the worker hibernates and stops.
  await sleep(600)
  const after = await getJson(d.url + '/counter/', cookie)
  assert.notEqual(after.body.worker.threadId, first.body.worker.threadId, 'a new worker')
  assert.equal(after.body.count, 3)
  // The new worker says so, on the page a person sees too.
  assert.deepEqual(after.body.resumed, { count: 2, from: first.body.worker.id })
  assert.notEqual(after.body.worker.id, first.body.worker.id)
  const page = await getJson(d.url + '/counter/', cookie, { headers: { accept: 'text/html' } })
  assert.match(page.body, new RegExp(`resumed from a hibernation: worker ${first.body.worker.id} was stopped when idle and handed over its count \\(2\\)`))
  assert.match(page.body, /<a href="\.\.\/">Home<\/a>/)
  assert.match(page.body, /id="logout"/)
})
