import { test } from 'node:test'
import * as errors from '../src/errors.ts'
import { assertTable, codesOf } from '../../../test/helpers/error-table.ts'

test('every STORE_ERR_* code is defined once, has an HTTP status, and is documented with it in docs/errors.md', () => {
  assertTable(codesOf(errors), 'STORE_ERR_')
})
