import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { DataDelta } from './data-delta.ts'
import { StoreConnectError } from './errors.ts'
import { mapError } from './redis-errors.ts'
import { ClusterDirectory } from './cluster-directory.ts'
import { compareKeys } from './key-order.ts'
import { checkKey } from './limits.ts'
import type { Busy, LockTimings } from './locking-backend.ts'
import { LockingStore } from './locking-store.ts'
import { isUnavailable } from './orphan-locks.ts'
import { RedisDataMarker } from './redis-data-marker.ts'
import { RedisEndChannel } from './redis-end-channel.ts'
import { redisPersistenceProblems } from './redis-persistence-check.ts'
import { SCRIPTS } from './redis-scripts.ts'
import type { RedisScript } from './redis-scripts.ts'
import { newSessionId } from './session-id.ts'
import type { SessionRecord, SessionSummary, WriteFence } from './store.ts'

export interface RedisStoreOptions extends Partial<LockTimings> {
  /** redis://[user:password@]host:port[/db] */
  url: string
  /** Prefix of every key this store writes; several deployments can share one Redis. */
  prefix?: string
  /** How long the first connection may take before start fails. */
  connectTimeoutMs?: number
  /**
   * How long one command may go unanswered before it fails with
   * STORE_ERR_UNAVAILABLE: a Redis that hangs (or a connection that died
   * silently) must not turn into lock waits that outlast it.
   */
  commandTimeoutMs?: number
  /** Told, in one line, what in the server's settings can lose sessions (redis-persistence-check.ts). */
  warn?: (message: string) => void
}

type Arg = string | number

/** How many sessions one touch script marks used. */
const TOUCHES_PER_SCRIPT = 500
type ScriptCall = (...args: Arg[]) => Promise<unknown>

/**
 * Sessions in a real Redis server, shared by every host. Each locking step
 * is one Lua script (redis-scripts.ts). Commands fail at once while Redis is
 * unreachable (STORE_ERR_UNAVAILABLE, 503) instead of queueing, and the
 * client reconnects by itself, so the daemon recovers without a restart;
 * locks an outage may have left held are released again once it answers
 * (orphan-locks.ts). `onSessionEnd` also hears the ids other hosts ended
 * (redis-end-channel.ts); `onDataLost` hears of a Redis that lost its data
 * (redis-data-marker.ts). The server's settings are checked at connect
 * (redis-persistence-check.ts).
 */
export class RedisStore extends LockingStore {
  readonly kind = 'redis'
  #redis: Redis
  #prefix: string
  #ends: RedisEndChannel
  #marker: RedisDataMarker

  private constructor (redis: Redis, prefix: string, timings: Partial<LockTimings>) {
    super(timings)
    this.#redis = redis
    this.#prefix = prefix
    this.#ends = new RedisEndChannel(redis, prefix, id => this.ended(id))
    this.#marker = new RedisDataMarker(redis, prefix, () => this.dataLost())
    for (const s of Object.values(SCRIPTS) as RedisScript[]) redis.defineCommand(s.name, { numberOfKeys: 0, lua: s.lua })
  }

  /** Connects, or fails with STORE_ERR_CONNECT naming the URL's host (never its password). */
  static async connect ({ url, prefix = 'sessiond:', connectTimeoutMs = 5000, commandTimeoutMs = 3000, warn, ...timings }: RedisStoreOptions): Promise<RedisStore> {
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs,
      // Reconnect attempts at most half a second apart: a restarted Redis serves the sessions again within that.
      retryStrategy: (times) => Math.min(times * 50, 500)
    })
    // Errors surface through the calls that hit them; without a listener ioredis would print each reconnect failure.
    redis.on('error', () => {})
    let store: RedisStore | null = null
    try {
      await redis.connect()
      await redis.ping()
      store = new RedisStore(redis, prefix, timings)
      await store.#ends.subscribe()
      await store.#marker.start()
      const problems = await redisPersistenceProblems(redis)
      if (problems.length > 0) warn?.(`the Redis at ${safeUrl(url)} can lose sessions: ${problems.join('; ')} (see docs/store.md, "Redis settings")`)
    } catch (err) {
      if (store) {
        store.#marker.close()
        await store.#ends.close()
      }
      redis.disconnect()
      throw new StoreConnectError(safeUrl(url), (err as Error).message || String(err), { cause: err })
    }
    return store
  }

  /** The meta hash's key: the layout is redis-scripts.ts's. */
  #meta (id: string): string {
    return `${this.#prefix}{${id}}:meta`
  }

  #call (script: RedisScript, id: string, ...rest: Arg[]): Promise<unknown> {
    return this.#callAt(Date.now(), script, id, ...rest)
  }

  async #callAt (now: number, script: RedisScript, id: string, ...rest: Arg[]): Promise<unknown> {
    const fn = (this.#redis as unknown as Record<string, ScriptCall>)[script.name]
    try {
      return await fn.call(this.#redis, this.#prefix, id, now, this.idleCut(now), ...rest)
    } catch (err) {
      throw mapError(err)
    }
  }

  async create (user: string, ttlMs: number): Promise<SessionRecord> {
    const now = Date.now()
    const record = { id: newSessionId(), user, createdAt: now, expiresAt: now + ttlMs }
    const meta = this.#meta(record.id)
    try {
      const out = await this.#redis.multi()
        .hset(meta, 'user', user, 'created', now, 'expires', record.expiresAt, 'seen', now, 'fence', 0)
        .pexpireat(meta, record.expiresAt)
        .zadd(`${this.#prefix}expiry`, record.expiresAt, record.id)
        .zadd(`${this.#prefix}seen`, now, record.id)
        .exec()
      const failed = out?.find(([e]) => e)
      if (failed) throw failed[0]
    } catch (err) {
      throw mapError(err)
    }
    return record
  }

  /** The ids not yet past their absolute expiry (the expiry index), then each one's record in one pipeline. */
  protected async listStep (user: string | undefined, now: number): Promise<SessionSummary[]> {
    const out: SessionSummary[] = []
    try {
      const ids = await this.#redis.zrangebyscore(`${this.#prefix}expiry`, `(${now}`, '+inf')
      const pipeline = this.#redis.pipeline()
      for (const id of ids) pipeline.hmget(this.#meta(id), 'user', 'created', 'expires', 'seen')
      const rows = ids.length === 0 ? [] : (await pipeline.exec()) ?? []
      const cut = this.idleCut(now)
      rows.forEach(([err, m], i) => {
        const [u, created, expires, seen] = (m ?? []) as Array<string | null>
        if (err || u === null || u === undefined || Number(expires) <= now || Number(seen) <= cut) return
        if (user === undefined || u === user) out.push({ id: ids[i], user: u, createdAt: Number(created), expiresAt: Number(expires), lastSeenAt: Number(seen) })
      })
    } catch (err) {
      throw mapError(err)
    }
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  protected async lookupStep (id: string): Promise<SessionRecord | null> {
    let m: Array<string | null>
    try {
      m = await this.#redis.hmget(this.#meta(id), 'user', 'created', 'expires', 'seen')
    } catch (err) {
      throw mapError(err)
    }
    const now = Date.now()
    if (m[0] === null || Number(m[2]) <= now || Number(m[3]) <= this.idleCut(now)) return null
    return { id, user: m[0], createdAt: Number(m[1]), expiresAt: Number(m[2]) }
  }

  protected async destroyStep (id: string): Promise<boolean> {
    return await this.#call(SCRIPTS.destroy, id, this.#ends.origin) === 1
  }

  protected async touchStep (seen: ReadonlyMap<string, number>): Promise<void> {
    const now = Date.now()
    const pipeline = this.#redis.pipeline() as unknown as Record<string, (...args: Arg[]) => unknown> & { exec (): Promise<Array<[Error | null, unknown]> | null> }
    let args: Arg[] = []
    const send = () => {
      pipeline[SCRIPTS.touch.name](this.#prefix, '', now, this.idleCut(now), ...args)
      args = []
    }
    for (const [id, at] of seen) {
      args.push(id, at)
      // A bounded argument list per script: Redis runs each script whole before any other command.
      if (args.length === TOUCHES_PER_SCRIPT * 2) send()
    }
    if (args.length > 0) send()
    let out: Array<[Error | null, unknown]> | null
    try {
      out = await pipeline.exec()
    } catch (err) {
      throw mapError(err)
    }
    const failed = out?.find(([e]) => e)
    if (failed) throw mapError(failed[0])
  }

  async tryLock (id: string, leaseMs: number): Promise<number | Busy> {
    const owner = randomBytes(12).toString('base64url')
    let answer: [number, number | string]
    try {
      answer = await this.#call(SCRIPTS.lock, id, leaseMs, owner) as [number, number | string]
    } catch (err) {
      // The script may have run with its answer lost: that lock would be nobody's until its lease ends.
      if (isUnavailable(err)) this.orphans.add(id, `o${owner}`, () => this.#call(SCRIPTS.unlock, id, owner), Date.now() + leaseMs)
      throw err
    }
    const [ok, n] = answer
    return ok === 1 ? Number(n) : { lockedUntil: Number(n) }
  }

  protected async applyStep (id: string, token: number | null, delta: DataDelta, release: boolean, fence: WriteFence | undefined): Promise<Busy | null> {
    const args: Arg[] = [token ?? '', release ? 1 : 0, delta.clear ? 1 : 0, fence?.realm ?? '', fence === undefined ? '' : String(fence.epoch), delta.del.size, ...delta.del]
    for (const [k, v] of delta.set) args.push(k, v)
    const [ok, until] = await this.#call(SCRIPTS.apply, id, ...args) as [number, string?]
    return ok === 1 ? null : { lockedUntil: Number(until) }
  }

  protected async moveStep (id: string, token: number | null): Promise<string | Busy> {
    const fresh = newSessionId()
    const [ok, until] = await this.#call(SCRIPTS.move, id, token ?? '', fresh, this.#ends.origin) as [number, string?]
    return ok === 1 ? fresh : { lockedUntil: Number(until) }
  }

  async get (id: string, key: string): Promise<string | undefined> {
    checkKey(key)
    const [v] = await this.#call(SCRIPTS.read, id, 'get', key) as [string | null]
    return v ?? undefined
  }

  async exists (id: string, key: string): Promise<boolean> {
    checkKey(key)
    return await this.#call(SCRIPTS.read, id, 'exists', key) === 1
  }

  async keys (id: string): Promise<string[]> {
    return (await this.#call(SCRIPTS.read, id, 'keys') as string[]).sort(compareKeys)
  }

  async getAll (id: string): Promise<Record<string, string>> {
    const flat = await this.#call(SCRIPTS.read, id, 'all') as string[]
    const pairs: Array<[string, string]> = []
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]])
    // fromEntries defines own properties, so a key named __proto__ stays a key.
    return Object.fromEntries(pairs)
  }

  protected async workerStateStep (id: string, realm: string, json: string | null, epoch: number | undefined): Promise<void> {
    const args: Arg[] = [realm, epoch === undefined ? '' : String(epoch)]
    if (json !== null) args.push(json)
    await this.#call(SCRIPTS.workerState, id, ...args)
  }

  protected async loadWorkerStateStep (id: string, realm: string): Promise<string | undefined> {
    const [v] = await this.#call(SCRIPTS.read, id, 'state', realm) as [string | null]
    return v ?? undefined
  }

  protected async gcStep (now: number): Promise<string[]> {
    return await this.#callAt(now, SCRIPTS.gc, '', this.#ends.origin) as string[]
  }

  /**
   * Placement and membership for several hosts sharing this Redis
   * (cluster-directory.ts), on connections of their own: a lease renewal
   * must never wait behind the store's commands, and it fails faster.
   */
  async directory ({ commandTimeoutMs = 500 }: { commandTimeoutMs?: number } = {}): Promise<ClusterDirectory> {
    const dir = new ClusterDirectory(this.#redis.duplicate({ commandTimeout: commandTimeoutMs }), this.#prefix, this.timings.idleMs)
    try {
      await dir.connect()
    } catch (err) {
      await dir.close()
      throw mapError(err)
    }
    return dir
  }

  /** Looks at the data marker now (it is also looked at after each reconnect and every few seconds). */
  checkDataMarker (): Promise<void> {
    return this.#marker.check()
  }

  protected async closeStep (): Promise<void> {
    this.#marker.close()
    await this.#ends.close()
    if (this.#redis.status === 'end') return
    try {
      await this.#redis.quit()
    } catch {
      // Already disconnected: nothing left to flush.
      this.#redis.disconnect()
    }
  }
}

/** The URL without its password, for error messages and logs. */
export function safeUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.href
  } catch {
    // Not a URL at all: say so rather than echo what may hold a secret.
    return '(an invalid URL)'
  }
}
