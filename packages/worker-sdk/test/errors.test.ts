import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { SDK_ERROR_STATUS } from '../src/errors.ts'
import { assertTable } from '../../../test/helpers/error-table.ts'

test('every SDK_ERR_* code (and the store codes the SDK raises) has an HTTP status and is documented with it in docs/errors.md', () => {
  assertTable(Object.entries(SDK_ERROR_STATUS).map(([code, status]) => ({ name: code, code, status })), 'SDK_ERR_')
})

test('the worker-sdk raises no code outside its table', () => {
  const src = fileURLToPath(new URL('../src', import.meta.url))
  // Raised: through the table's factory, or as the fallback code of an error that crosses a transport.
  const raised = execFileSync('grep', ['-rhoE', "(sdkError\\(|encodeError\\([^)]*, )'[A-Z_]+'", src], { encoding: 'utf8' })
  const codes = [...raised.matchAll(/'([A-Z_]+)'/g)].map(m => m[1])
  assert.ok(codes.length > 10)
  for (const code of codes) assert.ok(code in SDK_ERROR_STATUS, `${code} is in SDK_ERROR_STATUS`)
})
