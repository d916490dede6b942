import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { getJson, login, startDaemon } from './helpers/daemon.ts'

test('50 concurrent sessions each see only their own count, each in its own worker', async (t) => {
  const users = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`user${i}`, `password-${i}`]))
  // 50 threads starting at once on two busy cores can take longer than the default 10 s.
  const d = await startDaemon(t, { users, realms: [{ name: 'lab', mount: '/lab', startTimeout: '60s' }] })
  const sessions = await Promise.all(Array.from({ length: 50 }, (_, i) => login(d.url, `user${i % 5}`, `password-${i % 5}`)))
  const ROUNDS = 4
  const seen = await Promise.all(sessions.map(async (cookie, i) => {
    const counts: number[] = []
    const threads = new Set<number>()
    // Concurrent requests within one session too: they all reach its one worker.
    for (let r = 0; r < ROUNDS; r++) {
      const burst = await Promise.all([getJson(d.url + '/lab/count', cookie), getJson(d.url + '/lab/count', cookie)])
      for (const res of burst) {
        assert.equal(res.status, 200)
        assert.equal(res.body.user, `user${i % 5}`)
        counts.push(res.body.count)
        threads.add(res.body.threadId)
      }
    }
    return { counts: counts.sort((a, b) => a - b), threads }
  }))
  const expected = Array.from({ length: ROUNDS * 2 }, (_, i) => i + 1)
  const allThreads = new Set<number>()
  for (const s of seen) {
    assert.deepEqual(s.counts, expected)
    assert.equal(s.threads.size, 1, 'one worker per session')
    allThreads.add([...s.threads][0])
  }
  assert.equal(allThreads.size, 50, 'no two sessions share a worker')
})

test('one session cannot read another session\'s store data', async (t) => {
  const d = await startDaemon(t)
  const alice = await d.login('alice', 'alice-password')
  const bob = await d.login('bob', 'bob-password')
  const put = await fetch(d.url + '/lab/store?k=secret', { method: 'PUT', body: 'alice-only', headers: { cookie: alice } })
  assert.equal(put.status, 204)
  assert.deepEqual((await getJson(d.url + '/lab/store?k=secret', alice)).body, { value: 'alice-only', keys: ['secret'] })
  assert.deepEqual((await getJson(d.url + '/lab/store?k=secret', bob)).body, { value: null, keys: [] })
})

test('a worker sees forwarded headers from the gateway, never the session cookie or spoofed identity', async (t) => {
  const d = await startDaemon(t)
  const cookie = await d.login('alice', 'alice-password')
  // node:http, not fetch: fetch drops a hand-set Connection header.
  const res = await new Promise<{ body: any }>((resolve, reject) => {
    const req = http.get(d.url + '/lab/echo-headers?q=1', {
      headers: { cookie: `${cookie}; theme=dark`, 'x-sessiond-user': 'root', 'x-forwarded-for': '6.6.6.6', connection: 'keep-alive, x-hop', 'x-hop': '1' }
    }, (r) => {
      let text = ''
      r.setEncoding('utf8').on('data', (c) => { text += c }).on('end', () => resolve({ body: JSON.parse(text) }))
    })
    req.on('error', reject)
  })
  const h = res.body.headers
  assert.equal(h.cookie, 'theme=dark')
  assert.equal(h['x-sessiond-user'], undefined)
  assert.equal(h['x-forwarded-for'], '127.0.0.1')
  assert.equal(h['x-forwarded-prefix'], '/lab')
  assert.equal(h['x-hop'], undefined, 'headers named in Connection are hop-by-hop')
  assert.ok(h['x-request-id'])
  assert.match(res.body.url, /\/echo-headers\?q=1$/)
})
