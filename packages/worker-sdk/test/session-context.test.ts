import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HandlerBundle } from '../src/handler-bundle.ts'
import { SessionContext } from '../src/session-context.ts'

// A bundle as the supervisor's esbuild build makes one: CommonJS, the SDK required from the host.
const CODE = `
const { defineHandler } = require('@sessiond/worker-sdk')
let count = 0
Object.prototype.touched = (Object.prototype.touched ?? 0) + 1
module.exports = { default: defineHandler({ fetch: () => new Response(String(++count)) }) }
`
const sdk = { defineHandler: (h: unknown) => h }

const session = () => new SessionContext().claim(() => {}, () => {})

test('one bundle run in two contexts gives each its own module state and intrinsics, and the host\'s platform classes', async () => {
  const bundle = new HandlerBundle(CODE, '/srv/handler.ts', { '@sessiond/worker-sdk': sdk })
  const a = session()
  const b = session()
  const ha = bundle.instantiate(a)
  const hb = bundle.instantiate(b)
  const ctx = {} as never
  assert.equal(await (await ha.fetch(new Request('http://x/'), ctx)).text(), '1')
  assert.equal(await (await ha.fetch(new Request('http://x/'), ctx)).text(), '2')
  assert.equal(await (await hb.fetch(new Request('http://x/'), ctx)).text(), '1')
  // Each context ran the module once, against its own Object.prototype; the host's is untouched.
  assert.equal((a.root as { touched?: number }).touched, 1)
  assert.equal((b.root as { touched?: number }).touched, 1)
  assert.equal(({} as { touched?: number }).touched, undefined)
  assert.equal(a.global.Response, Response, 'the SDK checks a handler\'s Response against the thread\'s class')
  assert.notEqual(a.global.Object, Object)
  assert.equal(a.global.global, a.global)
})

test('owns tells a context\'s own objects from another\'s and the host\'s', () => {
  const a = session()
  const b = session()
  const made = a.global.eval('new Error("x")')
  assert.equal(a.owns(made), true)
  assert.equal(b.owns(made), false)
  assert.equal(a.owns(new Error('host')), false)
  assert.equal(a.owns('a string'), false)
})

test('require of anything but a built-in or the SDK fails with a coded error (the build turns import() into require())', async () => {
  const bundle = new HandlerBundle(`module.exports = { fetch (request) {
    const what = new URL(request.url).pathname
    if (what === '/require') require('left-pad')
    return new Response(typeof require('node:fs').readFileSync)
  } }`, '/srv/handler.ts', {})
  const h = bundle.instantiate(session())
  const ctx = {} as never
  assert.equal(await (await h.fetch(new Request('http://x/fs'), ctx)).text(), 'function', 'built-ins are the thread\'s')
  assert.throws(() => h.fetch(new Request('http://x/require'), ctx), { code: 'SDK_ERR_CONTEXT_UNSUPPORTED', message: /require\("left-pad"\)/ })
})
