import { PhpSerializeError } from './errors.ts'

// PHP's serialize() text for an array of strings keyed by strings, as the
// classic session-server protocol's get_all / put_all carry it:
//   a:2:{s:3:"foo";s:3:"bar";s:5:"today";s:10:"2004-11-09";}
// Lengths count UTF-8 bytes. PHP turns a key that is a canonical decimal
// integer into an int key (i:42;), so both sides do the same here.

const INT_KEY = /^(0|-?[1-9][0-9]{0,17})$/

function str (s: string): string {
  return `s:${Buffer.byteLength(s)}:"${s}";`
}

/** serialize() of a string → string map, byte for byte as PHP writes it. */
export function serializeStringMap (data: Record<string, string>): string {
  const entries = Object.entries(data)
  let out = `a:${entries.length}:{`
  for (const [k, v] of entries) out += (INT_KEY.test(k) ? `i:${k};` : str(k)) + str(v)
  return out + '}'
}

/** Reads what serializeStringMap (or PHP) wrote; anything else is STORE_ERR_PHP_SERIALIZE. */
export function parseStringMap (text: string): Record<string, string> {
  const buf = Buffer.from(text)
  let at = 0
  const fail = (what: string): never => { throw new PhpSerializeError(`${what} at byte ${at}`) }
  const expect = (s: string) => {
    if (buf.toString('latin1', at, at + s.length) !== s) fail(`expected ${JSON.stringify(s)}`)
    at += s.length
  }
  const int = (end: string): string => {
    const stop = buf.indexOf(end, at)
    if (stop === -1 || stop - at > 20) fail('expected an integer')
    const digits = buf.toString('latin1', at, stop)
    if (!/^-?[0-9]+$/.test(digits)) fail('expected an integer')
    at = stop + end.length
    return digits
  }
  const string = (): string => {
    expect('s:')
    const len = Number(int(':'))
    expect('"')
    if (at + len > buf.length) fail('string runs past the end')
    const s = buf.toString('utf8', at, at + len)
    if (Buffer.byteLength(s) !== len) fail('string is not valid UTF-8')
    at += len
    expect('";')
    return s
  }
  expect('a:')
  const n = Number(int(':'))
  if (n < 0) fail('expected a count of 0 or more')
  expect('{')
  const pairs: Array<[string, string]> = []
  for (let i = 0; i < n; i++) {
    let key: string
    if (buf[at] === 0x69 /* i */) {
      expect('i:')
      key = String(BigInt(int(';')))
    } else {
      key = string()
    }
    pairs.push([key, string()])
  }
  expect('}')
  if (at !== buf.length) fail('trailing text')
  // fromEntries defines own properties, so a key named __proto__ stays a key.
  return Object.fromEntries(pairs)
}
