import { test } from 'node:test'
import assert from 'node:assert/strict'
import { forwardedPrefix } from '../src/public-prefix.ts'

test('an X-Forwarded-Prefix becomes a prefix without a trailing slash; / and empty are none', () => {
  assert.equal(forwardedPrefix('/apps'), '/apps')
  assert.equal(forwardedPrefix('/apps/'), '/apps')
  assert.equal(forwardedPrefix('/a/b-c_d.e~f'), '/a/b-c_d.e~f')
  assert.equal(forwardedPrefix('/'), '')
  assert.equal(forwardedPrefix(''), '')
})

test('of a list, the nearest proxy\'s (last) entry counts', () => {
  assert.equal(forwardedPrefix('/client-said, /apps'), '/apps')
  assert.equal(forwardedPrefix(['/x', '/apps']), '/apps')
})

test('anything but a plain path prefix is refused', () => {
  for (const bad of ['apps', '//evil.example', '/a/../b', '/a/./b', '/a//b', '/a%2fb', '/a b', 'https://evil.example/', '/a\\b', '/..']) {
    assert.equal(forwardedPrefix(bad), undefined, bad)
  }
})
