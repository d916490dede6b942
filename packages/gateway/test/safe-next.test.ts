import { test } from 'node:test'
import assert from 'node:assert/strict'
import { safeNext } from '../src/safe-next.ts'

test('a same-origin path is kept with its query and hash', () => {
  for (const path of ['/', '/notes', '/notes/2024/list', '/notes?page=2&sort=desc', '/notes#top', '/notes/x?y=1#z', '/caf%C3%A9']) {
    assert.equal(safeNext(path), path)
  }
})

test('dot segments resolve inside the origin', () => {
  assert.equal(safeNext('/notes/../counter'), '/counter')
  assert.equal(safeNext('/../../etc'), '/etc')
})

test('anything that could leave the origin becomes /', () => {
  const hostile = [
    '//evil.example',
    '//evil.example/login',
    '/\\evil.example',
    '/\\/evil.example',
    '/notes\\..\\..\\evil',
    'https://evil.example/',
    'http:evil.example',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    ' /notes',
    '',
    `/${'a'.repeat(2048)}`
  ]
  for (const next of hostile) assert.equal(safeNext(next), '/', JSON.stringify(next.slice(0, 40)))
})

test('control characters anywhere become /', () => {
  for (const next of ['/\t/evil.example', '/\n/evil.example', '/notes\r\nSet-Cookie: x=1', '/a\u0000b', '/a\u001fb', '/a\u007fb']) {
    assert.equal(safeNext(next), '/', JSON.stringify(next))
  }
})

test('a value that is not a string becomes /', () => {
  for (const next of [undefined, null, 42, true, ['/notes'], { toString: () => '/notes' }]) {
    assert.equal(safeNext(next), '/', String(next))
  }
})

test('under a prefix, a path below it is kept and anything else goes to the prefix\'s root', () => {
  for (const path of ['/apps', '/apps/', '/apps/notes?x=1', '/apps?x=1', '/apps#top', '/apps/a/../b']) {
    assert.equal(safeNext(path, '/apps'), path === '/apps/a/../b' ? '/apps/b' : path)
  }
  for (const next of ['/', '/appsx', '/other/apps', '/apps/../admin', '//evil.example/apps/', 'https://evil.example/apps/', undefined]) {
    assert.equal(safeNext(next, '/apps'), '/apps/', String(next))
  }
})
