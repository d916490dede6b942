/** What a matcher needs of a realm: where it is mounted. */
export interface Mounted {
  mount: string
  host?: string
}

export interface RealmMatch<T> {
  realm: T
  /** The path is the mount itself (`/notes`), which redirects to `/notes/`. */
  bare: boolean
}

/**
 * Finds the realm a request belongs to, the way find-my-way's routes with a
 * host constraint did: the longest mount that is a whole-segment prefix of
 * the raw path, a realm on the request's Host before one on every host. The
 * gateway matches here rather than with one route per realm because a
 * reload may add, move or remove realms, and Fastify takes no new routes
 * once it listens.
 */
export class RealmMatcher<T extends Mounted> {
  readonly #byPlace = new Map<string, T>()
  /** The most segments of any mount: no longer prefix can match. */
  readonly #depth: number

  constructor (realms: readonly T[]) {
    let depth = 0
    for (const realm of realms) {
      this.#byPlace.set(place(realm.host, realm.mount), realm)
      depth = Math.max(depth, realm.mount.split('/').length - 1)
    }
    this.#depth = depth
  }

  /** `host` as the Host header (or :authority) carries it; `url` the raw request target. */
  match (host: string | undefined, url: string): RealmMatch<T> | undefined {
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    // The ends of the path's first segments: /a/b/c gives the ends of /a, /a/b, /a/b/c.
    const ends: number[] = []
    for (let at = 0; ends.length < this.#depth;) {
      const next = path.indexOf('/', at + 1)
      if (next === -1) {
        ends.push(path.length)
        break
      }
      ends.push(next)
      at = next
    }
    for (let i = ends.length - 1; i >= 0; i--) {
      const prefix = path.slice(0, ends[i])
      const realm = (host !== undefined ? this.#byPlace.get(place(host, prefix)) : undefined) ?? this.#byPlace.get(place(undefined, prefix))
      if (realm) return { realm, bare: ends[i] === path.length }
    }
    return undefined
  }
}

function place (host: string | undefined, mount: string): string {
  return (host ?? '') + ' ' + mount
}
