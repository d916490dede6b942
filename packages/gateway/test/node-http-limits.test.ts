import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Config } from '../src/config.ts'
import { nodeHttpLimits } from '../src/node-http-limits.ts'

test('Node checks timeouts on a beat of a quarter of headersTimeout, from 250 ms to 5 s', () => {
  const limits = (headersTimeout: number) => ({ maxHeaderSize: 16_384, headersTimeout }) as Config['limits']
  assert.deepEqual(nodeHttpLimits(limits(10_000)), { maxHeaderSize: 16_384, headersTimeout: 10_000, connectionsCheckingInterval: 2500 })
  assert.equal(nodeHttpLimits(limits(400)).connectionsCheckingInterval, 250)
  assert.equal(nodeHttpLimits(limits(60_000)).connectionsCheckingInterval, 5000)
})
