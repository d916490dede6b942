import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CookieRenewals } from '../src/cookie-renewals.ts'

test('a session whose cookie was re-issued within the window is not re-issued again, and is once the window has passed', () => {
  const r = new CookieRenewals(1_000, 0)
  assert.equal(r.claim('a', 10), true, 'the first renewal goes out')
  assert.equal(r.claim('a', 500), false, 'the client sent the old cookie again: no second renewal')
  assert.equal(r.claim('b', 500), true, 'another session is its own')
  assert.equal(r.claim('a', 1_500), false, 'still within a window or two')
  assert.equal(r.claim('a', 3_100), true, 'renewed again two windows on')
})

test('after a long quiet spell nothing is remembered', () => {
  const r = new CookieRenewals(1_000, 0)
  r.claim('a', 0)
  assert.equal(r.claim('a', 10_000), true)
})
