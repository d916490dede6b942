import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { HostTakenError } from './errors.ts'
import { PLACEMENT_SCRIPTS } from './redis-placement-scripts.ts'
import type { RedisScript } from './redis-scripts.ts'
import { mapError } from './redis-errors.ts'
import { checkRealm } from './worker-state.ts'

/** What a supervisor says of itself with every renewal of its lease. */
export interface MemberInfo {
  host: string
  /** Where gateways reach its dispatch listener: https://… (mutual TLS) or http://… (HMAC). */
  address: string
  /** How many workers it takes; with `workers`, the weight of new placements (rendezvous). */
  capacity: number
  workers: number
  /** It takes no new (session, realm)s and gives away those it holds. */
  draining: boolean
}

export interface LiveMember extends MemberInfo {
  /** When its lease ends, on Redis's clock. */
  leaseEnd: number
}

/** Where a (session, realm) lives: its host and the epoch of that placement. */
export interface Placement {
  host: string
  epoch: number
  /** Set when it was last moved off a host whose lease had run out: that host, and when (Redis's clock). */
  failover?: { from: string, at: number }
  /** When its saved state (the last checkpoint or hibernation) was written, if there is one (the savers' clock). */
  savedAt?: number
}

export type PlaceMode = 'claim' | 'move'

/** Why a placement was not made; `placement` is what is there now. */
export type PlaceRefusal = 'moved' | 'target' | 'owner' | 'live'

export type PlaceOutcome =
  | { placed: true, placement: Placement }
  | { placed: false, placement: Placement | null, why: PlaceRefusal }

export interface Lease {
  /** Redis's clock when it granted the lease. */
  now: number
  leaseEnd: number
}

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/** The name a placement goes by on the placement channel: no session id travels there. */
export function placementKey (sessionId: string, realm: string): string {
  return createHash('sha1').update(`${sessionId}\0${realm}`).digest('hex')
}

/**
 * Membership and placement on the store's Redis (redis-placement-scripts.ts
 * has the rules and the layout). Membership: each supervisor process joins
 * as an incarnation of its host id and renews a lease that Redis counts on
 * its own clock. Placement: the directory (session, realm) → (host, epoch)
 * lives beside the session's saved worker state, so it goes with the
 * session and moves with regenerate_id, and its epoch is the one the
 * store's write fences compare against. Every placement is published, so
 * that gateways holding requests for a move learn of it at once.
 */
export class ClusterDirectory {
  #redis: Redis
  #sub: Redis
  #prefix: string
  #idleMs: number
  #listeners = new Set<(key: string, host: string, epoch: number) => void>()

  constructor (redis: Redis, prefix: string, idleMs: number) {
    this.#redis = redis
    this.#prefix = prefix
    this.#idleMs = idleMs
    // Errors surface through the calls; without listeners ioredis would print each reconnect failure.
    redis.on('error', () => {})
    this.#sub = redis.duplicate()
    this.#sub.on('error', () => {})
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel !== `${prefix}placement`) return
      const [key, host, epoch] = message.split(' ')
      for (const l of this.#listeners) l(key, host, Number(epoch))
    })
    for (const s of Object.values(PLACEMENT_SCRIPTS) as RedisScript[]) redis.defineCommand(s.name, { numberOfKeys: 0, lua: s.lua })
  }

  async connect (): Promise<void> {
    if (this.#redis.status === 'wait') await this.#redis.connect()
    await this.#sub.connect()
    await this.#sub.subscribe(`${this.#prefix}placement`)
  }

  async #run (script: RedisScript, ...args: Array<string | number>): Promise<unknown> {
    const fn = (this.#redis as unknown as Record<string, ScriptCall>)[script.name]
    try {
      return await fn.call(this.#redis, this.#prefix, ...args)
    } catch (err) {
      throw mapError(err)
    }
  }

  static #memberArgs (m: MemberInfo, incarnation: string, ttlMs: number): Array<string | number> {
    return [m.host, incarnation, ttlMs, m.address, m.capacity, m.workers, m.draining ? 1 : 0]
  }

  /** A new incarnation of a host, with a lease of `ttlMs`; STORE_ERR_HOST_TAKEN while another one's lease is live. */
  async join (m: MemberInfo, incarnation: string, ttlMs: number): Promise<Lease> {
    try {
      const [now, leaseEnd] = await this.#run(PLACEMENT_SCRIPTS.join, ...ClusterDirectory.#memberArgs(m, incarnation, ttlMs)) as [number, number]
      return { now, leaseEnd }
    } catch (err) {
      if ((err as { code?: string }).code === 'STORE_ERR_HOST_TAKEN') throw new HostTakenError(m.host, { cause: err })
      throw err
    }
  }

  /** Extends the lease; null when it had already run out (or another incarnation took the host). */
  async renew (m: MemberInfo, incarnation: string, ttlMs: number): Promise<Lease | null> {
    const [ok, now, leaseEnd] = await this.#run(PLACEMENT_SCRIPTS.renew, ...ClusterDirectory.#memberArgs(m, incarnation, ttlMs)) as [number, number, number?]
    return ok === 1 ? { now, leaseEnd: leaseEnd! } : null
  }

  /** Ends this incarnation's lease at once (a clean stop). */
  async leave (host: string, incarnation: string): Promise<void> {
    await this.#run(PLACEMENT_SCRIPTS.leave, host, incarnation)
  }

  /** The members whose lease is live, and Redis's clock. */
  async members (): Promise<{ now: number, members: LiveMember[] }> {
    const flat = await this.#run(PLACEMENT_SCRIPTS.members) as Array<string | number>
    const members: LiveMember[] = []
    for (let i = 1; i < flat.length; i += 6) {
      members.push({
        host: String(flat[i]),
        leaseEnd: Number(flat[i + 1]),
        address: String(flat[i + 2]),
        capacity: Number(flat[i + 3]) || 0,
        workers: Number(flat[i + 4]) || 0,
        draining: flat[i + 5] === '1'
      })
    }
    return { now: Number(flat[0]), members }
  }

  /** The (session, realm)'s placement, or null when it has none. */
  async read (sessionId: string, realm: string): Promise<Placement | null> {
    checkRealm(realm)
    let f: Array<string | null>
    try {
      f = await this.#redis.hmget(`${this.#prefix}{${sessionId}}:state`, `h:${realm}`, `e:${realm}`, `f:${realm}`, `t:${realm}`)
    } catch (err) {
      throw mapError(err)
    }
    if (f[0] === null) return null
    const p: Placement = { host: f[0], epoch: Number(f[1] ?? 0) }
    if (f[2]) {
      const space = f[2].lastIndexOf(' ')
      p.failover = { from: f[2].slice(0, space), at: Number(f[2].slice(space + 1)) }
    }
    if (f[3]) p.savedAt = Number(f[3])
    return p
  }

  /**
   * Places the (session, realm) on `host` if its epoch is still `expect`:
   * `claim` when it has no host or its host's lease ran out, `move` when
   * `from` (its host) gives it away. STORE_ERR_NO_SESSION when the session is gone.
   */
  async place (sessionId: string, realm: string, host: string, expect: number, mode: PlaceMode, from = ''): Promise<PlaceOutcome> {
    checkRealm(realm)
    const now = Date.now()
    const cut = this.#idleMs === 0 ? Number.MIN_SAFE_INTEGER : now - this.#idleMs
    const out = await this.#run(PLACEMENT_SCRIPTS.place, sessionId, now, cut, realm, host, expect, mode, from) as [number, string, string, PlaceRefusal?]
    const placement = out[1] === '' ? null : { host: out[1], epoch: Number(out[2]) }
    if (out[0] === 1) return { placed: true, placement: placement! }
    return { placed: false, placement, why: out[3]! }
  }

  /** Hears every placement made through this Redis, by placementKey(). Answers a function that unsubscribes. */
  onPlacement (listener: (key: string, host: string, epoch: number) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async close (): Promise<void> {
    this.#listeners.clear()
    for (const r of [this.#sub, this.#redis]) {
      if (r.status === 'end') continue
      try {
        await r.quit()
      } catch {
        // Already disconnected.
        r.disconnect()
      }
    }
  }
}
