import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { basePathRewriter } from '../src/base-path.ts'

const req = (url: string) => ({ url }) as IncomingMessage

test('a URL below the base path is routed as if at the root', () => {
  const { rewriteUrl, isOutside } = basePathRewriter('/apps')
  for (const [url, want] of [['/apps', '/'], ['/apps?x=1', '/?x=1'], ['/apps/', '/'], ['/apps/login?next=%2F', '/login?next=%2F'], ['/apps/lab/a/b', '/lab/a/b']]) {
    const r = req(url)
    assert.equal(rewriteUrl(r), want, url)
    assert.equal(isOutside(r), false, url)
  }
})

test('anything else is outside, the prefix matched byte for byte', () => {
  const { rewriteUrl, isOutside } = basePathRewriter('/apps')
  for (const url of ['/', '/login', '/appsx', '/appsx/login', '/%61pps/login', '/APPS/login', '/other/apps/']) {
    const r = req(url)
    assert.equal(rewriteUrl(r), url)
    assert.equal(isOutside(r), true, url)
  }
})
