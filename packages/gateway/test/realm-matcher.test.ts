import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RealmMatcher } from '../src/realm-matcher.ts'

const realms = [
  { mount: '/app' },
  { mount: '/app/admin' },
  { mount: '/app', host: 'notes.example.test' },
  { mount: '/a/b/c' }
]
const matcher = new RealmMatcher(realms)
const at = (host: string | undefined, url: string) => {
  const m = matcher.match(host, url)
  return m && [realms.indexOf(m.realm), m.bare]
}

test('the longest whole-segment mount wins, and the mount itself is bare', () => {
  assert.deepEqual(at(undefined, '/app/x?y=/z'), [0, false])
  assert.deepEqual(at(undefined, '/app/'), [0, false])
  assert.deepEqual(at(undefined, '/app?x=1'), [0, true])
  assert.deepEqual(at(undefined, '/app/admin/users'), [1, false])
  assert.deepEqual(at(undefined, '/app/admin'), [1, true])
  assert.deepEqual(at(undefined, '/a/b/c/d/e/f'), [3, false])
  assert.equal(at(undefined, '/apps/x'), undefined, 'a mount matches whole segments only')
  assert.equal(at(undefined, '/a/b/x'), undefined)
  assert.equal(at(undefined, '/'), undefined)
  assert.equal(at(undefined, ''), undefined)
})

test('a realm on the request\'s Host comes before one on every host, and answers nowhere else', () => {
  assert.deepEqual(at('notes.example.test', '/app/x'), [2, false])
  assert.deepEqual(at('other.example.test', '/app/x'), [0, false])
  assert.deepEqual(at('notes.example.test', '/app/admin/x'), [1, false], 'a longer mount on every host still wins')
  assert.equal(new RealmMatcher([{ mount: '/x', host: 'h.test' }]).match('g.test', '/x/y'), undefined)
})

test('no realms match nothing', () => {
  assert.equal(new RealmMatcher([]).match('h.test', '/x/y'), undefined)
})
