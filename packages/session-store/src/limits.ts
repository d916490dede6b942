import { KeyInvalidError, ValueInvalidError, ValueTooLargeError } from './errors.ts'

export const MAX_KEY_BYTES = 256
export const MAX_VALUE_BYTES = 1024 * 1024

/** Every backend checks keys and values the same way, before touching storage. */
export function checkKey (key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES || key.includes('\0')) {
    throw new KeyInvalidError(MAX_KEY_BYTES)
  }
}

export function checkValue (value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new ValueInvalidError()
  if (value.length > MAX_VALUE_BYTES / 3 && Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new ValueTooLargeError(MAX_VALUE_BYTES)
}

/** Validates a put_all argument whole before any of it is applied. */
export function checkedEntries (data: Record<string, string>): Array<[string, string]> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ValueInvalidError()
  const entries = Object.entries(data)
  for (const [k, v] of entries) {
    checkKey(k)
    checkValue(v)
  }
  return entries
}
