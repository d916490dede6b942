import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { join } from 'node:path'
import { AdminTokenError } from '../errors.ts'
import { JsonFileCache } from '../json-file-cache.ts'

/** read: every GET of the admin API and /_sessiond/metrics. act: the actions too (stop, end, reload). */
export type AdminScope = 'read' | 'act'

export interface AdminTokenRecord {
  name: string
  scope: AdminScope
  /** SHA-256 of the token, hex: the token itself is shown once, at creation, and never stored. */
  sha256: string
  createdAt: number
}

interface FileShape { tokens: AdminTokenRecord[] }

const TOKEN_PREFIX = 'sdadm_'
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

export function adminTokensFile (dataDir: string): string {
  return join(dataDir, 'admin-tokens.json')
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/**
 * The admin API's bearer tokens: `<dataDir>/admin-tokens.json`, mode 0600,
 * holding a SHA-256 of each token (a token is 256 random bits, so a plain
 * hash is enough: there is nothing to guess from it). Re-read when it
 * changes, so `sessiond admin token create` and `revoke` apply to a running
 * daemon at its next request.
 */
export class AdminTokens {
  readonly path: string
  readonly #file: JsonFileCache<FileShape>
  #tokens: AdminTokenRecord[] = []

  constructor (path: string) {
    this.path = path
    this.#file = new JsonFileCache<FileShape>(path, () => ({ tokens: [] }))
  }

  async #refresh (): Promise<void> {
    this.#tokens = (await this.#file.read()).tokens ?? []
  }

  async list (): Promise<AdminTokenRecord[]> {
    await this.#refresh()
    return this.#tokens.map(t => ({ ...t }))
  }

  /** The token's name and scope when it is one of ours, else null; compared in constant time. */
  async verify (token: string): Promise<{ name: string, scope: AdminScope } | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null
    await this.#refresh()
    const want = digest(token)
    let found: AdminTokenRecord | null = null
    for (const t of this.#tokens) {
      const have = Buffer.from(t.sha256, 'hex')
      if (have.length === want.length && timingSafeEqual(have, want)) found = t
    }
    return found && { name: found.name, scope: found.scope }
  }

  /** A new token: answers it, the only time it is ever seen. */
  async create (name: string, scope: AdminScope): Promise<string> {
    if (!NAME.test(name)) throw new AdminTokenError(`a token name is lower-case letters, digits, . _ - (up to 64), got ${JSON.stringify(name)}`)
    await this.#refresh()
    if (this.#tokens.some(t => t.name === name)) throw new AdminTokenError(`a token named ${name} exists: revoke it first`)
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
    await this.#write([...this.#tokens, { name, scope, sha256: digest(token).toString('hex'), createdAt: Date.now() }])
    return token
  }

  async revoke (name: string): Promise<boolean> {
    await this.#refresh()
    const rest = this.#tokens.filter(t => t.name !== name)
    if (rest.length === this.#tokens.length) return false
    await this.#write(rest)
    return true
  }

  async #write (tokens: AdminTokenRecord[]): Promise<void> {
    await this.#file.write({ tokens })
    this.#tokens = tokens
  }
}
