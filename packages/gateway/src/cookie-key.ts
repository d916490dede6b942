import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KeyFileError } from './errors.ts'

export const COOKIE_KEY_BYTES = 32

/**
 * The secretbox key that seals session cookies: generated on first start,
 * kept in the data directory with mode 0600. A key file that others can
 * read, or of the wrong size, stops start-up.
 */
export async function loadCookieKey (dataDir: string): Promise<Buffer> {
  const file = join(dataDir, 'cookie.key')
  try {
    await writeFile(file, randomBytes(COOKIE_KEY_BYTES), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new KeyFileError(file, (err as Error).message, { cause: err })
  }
  const st = await stat(file)
  if ((st.mode & 0o077) !== 0) throw new KeyFileError(file, `mode ${(st.mode & 0o777).toString(8)} lets others read it; expected 600`)
  const key = await readFile(file)
  if (key.length !== COOKIE_KEY_BYTES) throw new KeyFileError(file, `holds ${key.length} bytes; expected ${COOKIE_KEY_BYTES}`)
  return key
}
