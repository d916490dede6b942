import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** How long an account's groups are believed: `allow` rules read them on every request. */
const TTL_MS = 30_000
const MAX_ENTRIES = 10_000

/**
 * A system account's groups (primary and supplementary) by `id -Gn`, which
 * asks NSS as login does: /etc/group, LDAP, sssd alike. Cached for 30 s, so
 * a change of membership applies within that, and an `allow` rule costs no
 * process per request.
 */
export class SystemGroups {
  readonly #cache = new Map<string, { groups: Promise<string[]>, at: number }>()
  readonly #now: () => number

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  of (user: string): Promise<string[]> {
    const hit = this.#cache.get(user)
    if (hit && this.#now() - hit.at < TTL_MS) return hit.groups
    const groups = run('id', ['-Gn', '--', user]).then(
      ({ stdout }) => stdout.trim().split(/\s+/).filter(Boolean),
      // No such account: no groups (the caller decides what that means).
      () => [] as string[])
    this.#cache.delete(user)
    this.#cache.set(user, { groups, at: this.#now() })
    if (this.#cache.size > MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value as string)
    return groups
  }
}
