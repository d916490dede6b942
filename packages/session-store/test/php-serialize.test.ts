import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseStringMap, serializeStringMap } from '../src/php-serialize.ts'

test('serializes a string map as PHP does, with byte lengths and integer keys as i:', () => {
  assert.equal(serializeStringMap({}), 'a:0:{}')
  assert.equal(serializeStringMap({ foo: 'bar', today: '2004-11-09' }), 'a:2:{s:3:"foo";s:3:"bar";s:5:"today";s:10:"2004-11-09";}')
  assert.equal(serializeStringMap({ 7: 'seven', '07': 'x', '-3': 'y', 'é': '😀' }), 'a:4:{i:7;s:5:"seven";s:2:"07";s:1:"x";i:-3;s:1:"y";s:2:"é";s:4:"😀";}')
})

test('parses what it writes, quotes and semicolons inside values included', () => {
  const data = { 'a"b': 'x";s:1:"y', '__proto__': 'p', 12: '', sp: ' ' }
  assert.deepEqual(parseStringMap(serializeStringMap(data)), data)
  assert.equal(Object.getOwnPropertyDescriptor(parseStringMap('a:1:{s:9:"__proto__";s:1:"v";}'), '__proto__')?.value, 'v')
})

test('refuses what is not an array of strings with STORE_ERR_PHP_SERIALIZE', () => {
  for (const bad of ['', 'a:1:{}', 'a:1:{s:1:"k";i:5;}', 'a:1:{s:2:"k";s:1:"v";}', 'a:0:{}x', 's:1:"k";', 'a:1:{s:1:"k";s:99:"v";}', 'O:8:"stdClass":0:{}', 'a:-1:{}']) {
    assert.throws(() => parseStringMap(bad), (err: { code?: string }) => err.code === 'STORE_ERR_PHP_SERIALIZE', bad)
  }
})
