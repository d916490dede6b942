import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * Session ends across hosts. The Lua scripts that end an id (destroy,
 * regenerate_id's move, gc) PUBLISH "<origin> <id>" on `<prefix>session-end`
 * in the same atomic step; every RedisStore subscribes on a second
 * connection (a subscribed connection can run nothing else) and reports
 * the ids that other stores ended. It skips its own: those were reported
 * where the operation ran, right after it.
 *
 * ioredis resubscribes by itself after a reconnect. Pub/sub keeps nothing,
 * so an end published while this host was cut off from Redis is not
 * replayed to it.
 */
export class RedisEndChannel {
  /** Names this store in what it publishes; base64url, so never a space. */
  readonly origin = randomBytes(12).toString('base64url')
  readonly name: string
  #sub: Redis

  constructor (redis: Redis, prefix: string, onEnd: (id: string) => void) {
    this.name = `${prefix}session-end`
    // Subscribing needs no offline queue: ioredis resubscribes once the connection is ready again.
    this.#sub = redis.duplicate()
    // A lost connection surfaces through the main client's calls; without a listener ioredis would print each retry.
    this.#sub.on('error', () => {})
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel !== this.name) return
      const space = message.indexOf(' ')
      if (space === -1 || message.slice(0, space) === this.origin) return
      onEnd(message.slice(space + 1))
    })
  }

  /** Connects the subscriber and subscribes; rejects when Redis cannot be reached. */
  async subscribe (): Promise<void> {
    await this.#sub.connect()
    await this.#sub.subscribe(this.name)
  }

  async close (): Promise<void> {
    if (this.#sub.status === 'end') return
    try {
      await this.#sub.quit()
    } catch {
      // Already disconnected: nothing to say goodbye to.
      this.#sub.disconnect()
    }
  }
}
