import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { ScryptOptions } from 'node:crypto'

// scrypt with OWASP's first recommendation: N=2^17, r=8, p=1 (128 MiB, about
// a quarter second here). The parameters travel in the hash (PHC string
// format), so stored hashes keep verifying when the defaults change.

export interface HashCost { ln: number, r: number, p: number }
export const OWASP_COST: HashCost = { ln: 17, r: 8, p: 1 }

export const MIN_PASSWORD_BYTES = 8
/** Long enough for any passphrase, short enough that hashing cannot be abused for CPU. */
export const MAX_PASSWORD_BYTES = 1024

const KEY_LEN = 32
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

function derive (password: string, salt: Buffer, { ln, r, p }: HashCost): Promise<Buffer> {
  const N = 2 ** ln
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) => err ? reject(err) : resolve(key))
  })
}

export async function hashPassword (password: string, cost: HashCost = OWASP_COST): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, cost)
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`
}

/** False for a wrong password and for a hash it cannot read. */
export async function verifyPassword (password: string, hash: string): Promise<boolean> {
  const m = PHC.exec(hash)
  if (!m) return false
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  if (cost.ln < 1 || cost.ln > 22) return false
  const expected = Buffer.from(m[5], 'base64')
  const key = await derive(password, Buffer.from(m[4], 'base64'), cost)
  return key.length === expected.length && timingSafeEqual(key, expected)
}
