import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defineHandler, handlerFromModule } from '../src/handler.ts'
import type { Handler } from '../src/handler.ts'

const invalid = (err: unknown) => (err as { code?: string }).code === 'SDK_ERR_INVALID_HANDLER'
const fetch = () => new Response('ok')

test('defineHandler returns the handler it was given', () => {
  const h = { fetch, start () {}, stop () {} }
  assert.equal(defineHandler(h), h)
})

test('defineHandler requires fetch', () => {
  assert.throws(() => defineHandler({} as Handler), invalid)
  assert.throws(() => defineHandler({ fetch: 'nope' } as unknown as Handler), invalid)
  assert.throws(() => defineHandler(undefined as unknown as Handler), invalid)
})

test('defineHandler rejects a hook that is not a function', () => {
  for (const hook of ['start', 'hibernate', 'resume', 'stop']) {
    assert.throws(() => defineHandler({ fetch, [hook]: 'later' } as unknown as Handler), (err: Error) =>
      invalid(err) && err.message.includes(hook), hook)
  }
})

test('handlerFromModule accepts a module whose default export is a handler', () => {
  const handler = defineHandler({ fetch })
  assert.equal(handlerFromModule({ default: handler }, 'x.ts'), handler)
})

test('handlerFromModule accepts a plain module that exports fetch', () => {
  const mod = { fetch }
  assert.equal(handlerFromModule(mod, 'x.ts').fetch, fetch)
})

test('handlerFromModule rejects a module without fetch and names it', () => {
  assert.throws(() => handlerFromModule({ default: { start () {} } }, '/srv/app.ts'), (err: Error) =>
    invalid(err) && err.message.includes('/srv/app.ts'))
  assert.throws(() => handlerFromModule({}, 'x.ts'), invalid)
  assert.throws(() => handlerFromModule(null, 'x.ts'), invalid)
})
