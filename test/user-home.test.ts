// The home page after login: the user's realms with this session's worker
// state (running, hibernated, none), a Stop per realm, log out; the admin
// link only for admins; Stop reaches only the session's own worker.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { getJson, startDaemon } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

const COUNTER = fileURLToPath(new URL('../examples/counter/handler.ts', import.meta.url))

function states (html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<li data-realm="([^"]+)">.*?<span class="state">([^<]+)<\/span>/g)].map(m => [m[1], m[2]]))
}

test('the home page shows each realm\'s worker state for this session, and Stop stops only its own worker', async (t) => {
  const d = await startDaemon(t, {
    users: { root: 'root-password', alice: 'alice-password', bob: 'bob-password' },
    groups: { root: ['admin'] },
    realms: [{ name: 'lab', mount: '/lab' }, { name: 'counter', mount: '/counter', handler: COUNTER }, { name: 'idle', mount: '/idle' }]
  })
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  const home = async (cookie: string) => (await getJson(d.url + '/', cookie, { headers: { accept: 'text/html' } })).body as string
  assert.deepEqual(states(await home(alice)), { lab: 'none', counter: 'none', idle: 'none' })
  await getJson(d.url + '/lab/count', alice)
  await getJson(d.url + '/counter/', alice)
  await getJson(d.url + '/lab/count', bob)
  let page = await home(alice)
  assert.deepEqual(states(page), { lab: 'running', counter: 'running', idle: 'none' })
  assert.match(page, /<form method="post" action="\/logout">/)
  assert.doesNotMatch(page, /\/_sessiond\/admin\//, 'no admin link for a plain user')
  assert.match(await home(await d.login('root', 'root-password')), /href="\/_sessiond\/admin\/"/)

  // Hibernated, as an idle stop leaves it (here by an admin through the API: the same stop).
  const token = runCli(['admin', 'token', 'create', 'ops', '--scope', 'act', '--data', d.dataDir])
  const bearer = { authorization: `Bearer ${(await token).stdout.trim()}` }
  const [counter] = (await getJson(d.url + '/_sessiond/admin/api/v1/workers?user=alice&realm=counter', undefined, { headers: bearer })).body.workers
  await fetch(`${d.url}/_sessiond/admin/api/v1/workers/${counter.id}/hibernate`, { method: 'POST', headers: bearer })
  page = await home(alice)
  assert.deepEqual(states(page), { lab: 'running', counter: 'hibernated', idle: 'none' })

  // Stop, as the page's form posts it: with the form's token; without it, refused.
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]
  const form = (body: Record<string, string>) => fetch(d.url + '/_sessiond/my/realms/lab/stop', {
    method: 'POST', redirect: 'manual', headers: { cookie: alice, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString()
  })
  assert.equal((await form({})).status, 403)
  const stopped = await form({ csrf })
  assert.equal(stopped.status, 303)
  assert.equal(stopped.headers.get('location'), '/')
  assert.deepEqual(states(await home(alice)), { lab: 'none', counter: 'hibernated', idle: 'none' })
  assert.deepEqual(states(await home(bob)), { lab: 'running', counter: 'none', idle: 'none' }, 'bob\'s worker of the same realm runs on')
  assert.equal((await getJson(d.url + '/lab/count', alice)).body.count, 1, 'the next visit starts afresh')
  assert.equal((await fetch(d.url + '/_sessiond/my/realms/lab/stop', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401, 'no session, no stop')
})
