import { Type } from '@sinclair/typebox'

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }
// One grammar for the schema and the parser: a unit the pattern takes is one UNITS knows.
const BYTE_SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([bB]|[kKmMgG][iI]?[bB])?$'
const BYTE_SIZE = new RegExp(BYTE_SIZE_PATTERN)

/** `'64KiB'` → 65536; a plain number is bytes. */
export function parseByteSize (value: number | string): number {
  if (typeof value === 'number') return value
  const m = BYTE_SIZE.exec(value.trim())
  if (!m) throw new RangeError(`not a byte size: ${value}`)
  return Math.floor(Number.parseFloat(m[0]) * UNITS[(m[2] ?? '').toLowerCase()])
}

/** A size in a config file: bytes, or a number with a unit (KiB, MB, …). */
export const ByteSize = (defaultValue?: string) => Type.Transform(
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: BYTE_SIZE_PATTERN })], {
    ...(defaultValue !== undefined && { default: defaultValue }),
    description: 'a size: bytes, or a number followed by B, KB, KiB, MB, MiB, GB or GiB'
  })
).Decode(parseByteSize).Encode((n: number) => n)
