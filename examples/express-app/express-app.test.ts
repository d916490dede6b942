import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { getJson, startDaemon } from '../../test/helpers/daemon.ts'

const HANDLER = fileURLToPath(new URL('./handler.ts', import.meta.url))

for (const kind of ['context', 'thread', 'process'] as const) {
  test(`an unchanged Express app runs per session in a ${kind} worker`, async (t) => {
    const d = await startDaemon(t, { realms: [{ name: 'shop', mount: '/shop', kind, handler: HANDLER }] })
    const alice = await d.login('alice', 'alice-password')
    const bob = await d.login('bob', 'bob-password')
    const added = await getJson(d.url + '/shop/cart', alice, { method: 'POST', body: JSON.stringify({ item: 'tea' }), headers: { 'content-type': 'application/json' } })
    assert.equal(added.status, 201)
    assert.deepEqual(added.body, { cart: ['tea'] })
    assert.deepEqual((await getJson(d.url + '/shop/', alice)).body, { user: 'alice', cart: ['tea'] })
    assert.deepEqual((await getJson(d.url + '/shop/', bob, { headers: { 'x-sessiond-user': 'alice' } })).body, { user: 'bob', cart: [] })
    const bad = await getJson(d.url + '/shop/cart', alice, { method: 'POST', body: '{"item": 42}', headers: { 'content-type': 'application/json' } })
    assert.equal(bad.status, 400)
    const cleared = await getJson(d.url + '/shop/cart', alice, { method: 'DELETE' })
    assert.equal(cleared.status, 204)
    assert.deepEqual((await getJson(d.url + '/shop/', alice)).body.cart, [])
  })
}
