import { test } from 'node:test'
import assert from 'node:assert/strict'
import { realmCspHeader } from '../src/realm-csp.ts'

test('a policy, a bare sandbox, or a sandbox with allowances make one header value', () => {
  assert.equal(realmCspHeader(undefined), null)
  assert.equal(realmCspHeader({}), null)
  assert.equal(realmCspHeader({ policy: "default-src 'self';" }), "default-src 'self'")
  assert.equal(realmCspHeader({ sandbox: true }), 'sandbox')
  assert.equal(realmCspHeader({ policy: "default-src 'self'", sandbox: ' allow-scripts allow-forms ' }), "default-src 'self'; sandbox allow-scripts allow-forms")
  assert.equal(realmCspHeader({ sandbox: false }), null)
})
