import { test } from 'node:test'
import assert from 'node:assert/strict'
import { raw } from './helpers/raw-http.ts'
import { startDaemon } from './helpers/daemon.ts'

async function loginOn (url: string, host: string): Promise<string> {
  const body = JSON.stringify({ username: 'alice', password: 'alice-password' })
  const res = await raw(url, `POST /login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
  assert.equal(res.status, 200, res.text)
  return /set-cookie: (sessiond=[^;]+)/i.exec(res.text)![1]
}

const get = (url: string, host: string, path: string, cookie: string) =>
  raw(url, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`)

test('a host realm answers only on its Host; the same mount elsewhere is another realm or nothing', async (t) => {
  const d = await startDaemon(t, {
    realms: [
      { name: 'notes', mount: '/app', host: 'notes.example.test' },
      { name: 'wiki', mount: '/app', host: 'wiki.example.test' },
      { name: 'lab', mount: '/lab' }
    ]
  })
  const notesCookie = await loginOn(d.url, 'notes.example.test')
  const notes = await get(d.url, 'notes.example.test', '/app/echo-headers', notesCookie)
  assert.equal(notes.status, 200)
  assert.match(notes.text, /"x-forwarded-host":"notes.example.test"/)
  const wiki = await get(d.url, 'wiki.example.test', '/app/count', notesCookie)
  assert.equal(wiki.status, 200, 'the same cookie value, sent to the other host, reaches the other realm')
  assert.match(wiki.text, /"count":1/)
  const elsewhere = await get(d.url, 'other.example.test', '/app/count', notesCookie)
  assert.equal(elsewhere.status, 404, 'on no realm\'s host, the mount is nothing')
  assert.equal((await get(d.url, 'notes.example.test', '/lab/count', notesCookie)).status, 200, 'realms without a host answer on every host')
})

test('two realms may share a mount only on different hosts', async (t) => {
  await assert.rejects(startDaemon(t, {
    realms: [{ name: 'a', mount: '/app', host: 'x.example.test' }, { name: 'b', mount: '/app', host: 'x.example.test' }]
  }), /\/realms\/1\/mount: expected a unique mount/)
})
