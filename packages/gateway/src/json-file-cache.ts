// A small JSON file of the daemon's own (users.json, admin-tokens.json):
// read again only when it changed, so that `sessiond user add` or `sessiond
// admin token create` from another process takes effect without a reload,
// and written atomically with mode 0600 (write-file-atomic).
import { readFile, stat } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'

/**
 * File timestamps are coarse (a few ms on ext4, 1 s or 2 s elsewhere): two
 * writes within one tick share an mtime. An mtime younger than this is not
 * trusted to mean "unchanged" (git's "racily clean" rule); the file is read again.
 */
const RACY_MS = 2000

export class JsonFileCache<T> {
  readonly path: string
  readonly #empty: () => T
  #value: T
  /** The mtime of what #value holds; -1: read again next time. */
  #mtimeMs = -1

  /** `empty`: the value while the file does not exist. */
  constructor (path: string, empty: () => T) {
    this.path = path
    this.#empty = empty
    this.#value = empty()
  }

  /** The file's content now: re-read when its mtime moved (or it is too young to trust), the empty value when it is missing. */
  async read (): Promise<T> {
    let mtimeMs: number
    try {
      mtimeMs = (await stat(this.path)).mtimeMs
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      this.#value = this.#empty()
      this.#mtimeMs = -1
      return this.#value
    }
    if (mtimeMs === this.#mtimeMs) return this.#value
    this.#value = JSON.parse(await readFile(this.path, 'utf8')) as T
    this.#remember(mtimeMs)
    return this.#value
  }

  async write (value: T): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 })
    this.#value = value
    this.#remember((await stat(this.path)).mtimeMs)
  }

  #remember (mtimeMs: number): void {
    this.#mtimeMs = Date.now() - mtimeMs > RACY_MS ? mtimeMs : -1
  }
}
