import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { LineProtocolListener, MemoryStore } from '@sessiond/session-store'
import { skipUnlessInstalled } from '../../test/helpers/system-binary.ts'

const run = promisify(execFile)
const VISIT = fileURLToPath(new URL('./visit.php', import.meta.url))
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
