import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCanonicalPath } from '../src/request-path.ts'

test('plain paths, a trailing slash, ordinary escapes and any query are canonical', () => {
  for (const url of ['/', '/lab/', '/lab/count', '/lab/a%20b', '/lab/caf%C3%A9', '/lab/x?a=../..&b=%2f', '/lab/a.b/c..d', '/lab/%3F']) {
    assert.equal(isCanonicalPath(url), true, url)
  }
})

test('dot segments, empty segments, encoded separators, NUL and second spellings are not', () => {
  for (const url of [
    '/lab/../x', '/lab/./x', '/lab/..', '/lab/%2e%2e/x', '/lab/%2E%2e/x', '/lab/.%2e/x', '/lab/%2e/x',
    '/lab%2fx', '/lab/a%2Fb', '/lab/a%5cb', '/lab/a\\b', '//lab', '/lab//x', '/lab/x%00', '/lab/%0d%0a',
    '/lab/%zz', '/lab/%', '/%6cab/x', '/lab/%41', '/lab/%7e', 'http://evil/lab/x', '*', ''
  ]) {
    assert.equal(isCanonicalPath(url), false, url)
  }
})
