import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { readFile, stat, writeFile } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { join } from 'node:path'
import { KeyFileError } from './errors.ts'

export const COOKIE_KEY_BYTES = 32

export function cookieKeyFile (dataDir: string): string {
  return join(dataDir, 'cookie.key')
}

/**
 * The secretbox keys that seal session cookies, newest first: generated on
 * first start, kept in the data directory with mode 0600, one 32-byte key
 * after another. The first key seals; the others still open cookies, which
 * are then re-sealed under the first (`sessiond keys rotate`). A key file
 * that others can read, or of a size that is not whole keys, stops start-up.
 */
export async function loadCookieKeys (dataDir: string): Promise<Buffer[]> {
  const file = cookieKeyFile(dataDir)
  try {
    await writeFile(file, randomBytes(COOKIE_KEY_BYTES), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyFileError(file, (err as Error).message, { cause: err })
  }
  return readKeys(file)
}

async function readKeys (file: string): Promise<Buffer[]> {
  let st: Stats
  try {
    st = await stat(file)
  } catch (err) {
    throw new KeyFileError(file, (err as Error).message, { cause: err })
  }
  if ((st.mode & 0o077) !== 0) throw new KeyFileError(file, `mode ${(st.mode & 0o777).toString(8)} lets others read it; expected 600`)
  const bytes = await readFile(file)
  if (bytes.length === 0 || bytes.length % COOKIE_KEY_BYTES !== 0) {
    throw new KeyFileError(file, `holds ${bytes.length} bytes; expected ${COOKIE_KEY_BYTES} per key`)
  }
  const keys: Buffer[] = []
  for (let i = 0; i < bytes.length; i += COOKIE_KEY_BYTES) keys.push(bytes.subarray(i, i + COOKIE_KEY_BYTES))
  return keys
}

/**
 * Puts a new key first and keeps `keep` keys in all: cookies sealed under
 * the previous key still open (and are re-sealed), those under a key that
 * falls off the end do not. Answers the keys now in the file. The file is
 * replaced whole (write-file-atomic), so a running daemon never reads half.
 */
export async function rotateCookieKeys (dataDir: string, keep = 2): Promise<Buffer[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive integer, got ${keep}`)
  const file = cookieKeyFile(dataDir)
  const keys = [randomBytes(COOKIE_KEY_BYTES), ...(await readKeys(file))].slice(0, keep)
  await writeFileAtomic(file, Buffer.concat(keys), { mode: 0o600 })
  return keys
}
