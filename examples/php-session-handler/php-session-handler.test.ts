import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { LineProtocolListener, MemoryStore } from '@sessiond/session-store'
import { startDaemon } from '../../test/helpers/daemon.ts'
import { freePort } from '../../test/helpers/free-port.ts'
import { skipUnlessInstalled } from '../../test/helpers/system-binary.ts'

const run = promisify(execFile)
const VISIT = fileURLToPath(new URL('./visit.php', import.meta.url))
const APP = fileURLToPath(new URL('./app.php', import.meta.url))
const skip = skipUnlessInstalled('php', 'php-cli')

async function serve (t: TestContext) {
  const store = new MemoryStore()
  const listener = await LineProtocolListener.listen(store)
  t.after(async () => {
    await listener.close()
    await store.close()
  })
  const visit = async (id?: string) => {
    const { stdout, stderr } = await run('php', [VISIT, '127.0.0.1', String(listener.address.port), ...(id ? [id] : [])])
    assert.equal(stderr, '')
    const [sid, visits] = stdout.trim().split(' ')
    return { sid, visits: Number(visits) }
  }
  return { store, visit }
}

test('PHP\'s own sessions live in sessiond through SessionHandlerInterface', { skip }, async (t) => {
  const { store, visit } = await serve(t)
  const first = await visit()
  assert.match(first.sid, /^[0-9a-f]{64}$/, 'the id comes from sessiond')
  assert.equal(first.visits, 1)
  const second = await visit(first.sid)
  assert.deepEqual(second, { sid: first.sid, visits: 2 })
  assert.deepEqual(await store.getAll(first.sid), { visits: '2', lang: 'PHP 8' })
})

test('an id sessiond never issued is refused and replaced (strict mode)', { skip }, async (t) => {
  const { store, visit } = await serve(t)
  const forged = 'a'.repeat(64)
  const r = await visit(forged)
  assert.notEqual(r.sid, forged)
  assert.equal(r.visits, 1)
  assert.equal(await store.lookup(forged), null)
})

test('PHP and the store see one another\'s writes', { skip }, async (t) => {
  const { store, visit } = await serve(t)
  const { sid } = await visit()
  await store.put(sid, 'visits', '41')
  assert.equal((await visit(sid)).visits, 42)
})

test('as an exec realm, PHP\'s $_SESSION is the logged-in session: no PHPSESSID, data shared with the store API, sessiond keys untouched', { skip }, async (t) => {
  const protocol = await freePort()
  const d = await startDaemon(t, {
    // php -S serves TCP only: a root daemon runs it as one fixed account (a loopback port is refused where
    // each worker has an account of its own, the default as root).
    realms: [{ name: 'php', mount: '/php', handler: undefined, kind: 'exec', listen: 'port', command: ['php', '-d', `sessiond.line=127.0.0.1:${protocol}`, '-S', '127.0.0.1:$PORT', APP], ...(process.getuid?.() === 0 && { runAs: { user: 'www-data' } }) }],
    extra: { store: { protocolListen: protocol } }
  })
  const cookie = await d.login('alice', 'alice-password')
  const store = (path = '', init: RequestInit = {}) => fetch(`${d.url}/_sessiond/store${path}`, { ...init, headers: { cookie, ...init.headers as Record<string, string> } })
  assert.equal((await store('/keys/theme', { method: 'PUT', body: 'dark' })).status, 204)
  assert.equal((await store('/keys/sessiond:internal', { method: 'PUT', body: 'kept' })).status, 204)

  const first = await fetch(d.url + '/php/', { headers: { cookie } })
  assert.equal(first.status, 200, await first.clone().text())
  assert.equal(first.headers.getSetCookie().some(c => c.startsWith('PHPSESSID')), false, 'PHP sets no cookie of its own')
  const body = await first.json() as { user: string, visits: number, keys: string[] }
  assert.deepEqual([body.user, body.visits], ['alice', 1])
  assert.ok(body.keys.includes('theme'), 'PHP sees what the store API wrote')
  assert.ok(!body.keys.includes('sessiond:internal'), 'sessiond\'s own keys stay out of $_SESSION')
  assert.equal((await (await fetch(d.url + '/php/', { headers: { cookie } })).json() as { visits: number }).visits, 2)

  assert.deepEqual(await (await store()).json(), { 'php-visits': '2', 'sessiond:internal': 'kept', theme: 'dark' })
})
