import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { StoreConfigError } from './errors.ts'

/**
 * The line protocol's shared secret, from a file only its owner can read
 * (mode 0600 or narrower): the first line, without its line end. A file
 * others can read, or an empty one, is refused at start.
 */
export async function readLineProtocolSecret (file: string): Promise<Buffer> {
  let mode: number
  let text: string
  try {
    mode = (await stat(file)).mode
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new StoreConfigError(`cannot read store.protocolAuth ${file}: ${(err as Error).message}`, { cause: err })
  }
  if ((mode & 0o077) !== 0) throw new StoreConfigError(`store.protocolAuth ${file} can be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`)
  const secret = text.split(/\r?\n/, 1)[0]
  if (secret.length === 0) throw new StoreConfigError(`store.protocolAuth ${file} is empty`)
  return Buffer.from(secret)
}

/** Compares in constant time: hashing first makes the lengths equal, so neither leaks. */
export function secretMatches (secret: Buffer, given: string): boolean {
  const a = createHash('sha256').update(secret).digest()
  const b = createHash('sha256').update(given).digest()
  return timingSafeEqual(a, b)
}
