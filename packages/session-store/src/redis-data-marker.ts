import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

/** How often the marker is looked at between reconnects: a FLUSHALL has no reconnect to notice it by. */
const CHECK_EVERY_MS = 10_000

/**
 * Notices a Redis that lost its data: a restart without persistence, a
 * failover to a replica that had not caught up, a FLUSHALL. The first
 * store to reach a Redis writes `<prefix>data-marker` with a random value
 * (SET NX), and every store remembers the value it found. After each
 * reconnect, and every CHECK_EVERY_MS, it looks again: a marker that is
 * gone or changed means the sessions this host knew may be gone too, and
 * `onLost` runs (the daemon then checks its live workers' sessions at once
 * rather than at its next minute's sweep). The first store to see the loss
 * writes a new marker; the others find that one and report the loss too.
 */
export class RedisDataMarker {
  #redis: Redis
  #key: string
  #value: string | null = null
  #onLost: () => void
  #timer: NodeJS.Timeout | null = null
  #checking: Promise<void> | null = null
  #onReady = () => { void this.check() }

  constructor (redis: Redis, prefix: string, onLost: () => void) {
    this.#redis = redis
    this.#key = `${prefix}data-marker`
    this.#onLost = onLost
  }

  /** Reads (or writes) the marker, then watches it. */
  async start (): Promise<void> {
    this.#value = await this.#current()
    this.#redis.on('ready', this.#onReady)
    this.#timer = setInterval(this.#onReady, CHECK_EVERY_MS)
    this.#timer.unref()
  }

  /** Compares the marker with the one this store found; resolves once done (failures wait for the next try). */
  check (): Promise<void> {
    this.#checking ??= (async () => {
      try {
        const now = await this.#current()
        if (this.#value !== null && now !== this.#value) {
          this.#value = now
          this.#onLost()
        }
        this.#value = now
      } catch {
        // Redis is down again: the next reconnect looks.
      } finally {
        this.#checking = null
      }
    })()
    return this.#checking
  }

  close (): void {
    this.#redis.off('ready', this.#onReady)
    if (this.#timer) clearInterval(this.#timer)
  }

  async #current (): Promise<string> {
    const mine = randomBytes(12).toString('base64url')
    // Two steps rather than SET NX GET, which Redis 6 refuses; a marker another store wrote in between is read back.
    if (await this.#redis.set(this.#key, mine, 'NX') === 'OK') return mine
    return (await this.#redis.get(this.#key)) ?? mine
  }
}
