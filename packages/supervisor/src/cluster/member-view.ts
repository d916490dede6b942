import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { ClusterDirectory, LiveMember } from '@sessiond/session-store'

/** How long a wait for a host to be gone looks before the caller tries the host again. */
const GONE_LOOK_MS = 250

/**
 * A gateway's view of the live supervisors, read from Redis every
 * `periodMs` (a fraction of the lease) and at once when a caller needs it
 * fresh. A member is live while its lease end, on Redis's clock, is ahead
 * of Redis's clock as last read plus the time since on this host's
 * monotonic clock. A member that drops out is reported once (`onLost`).
 */
export class MemberView {
  #dir: ClusterDirectory
  #log: Logger
  #members = new Map<string, LiveMember>()
  #redisNow = 0
  #readAt = 0
  #timer: NodeJS.Timeout | null = null
  #refreshing: Promise<void> | null = null
  #onLost: (host: string) => void
  #periodMs: number

  constructor (dir: ClusterDirectory, periodMs: number, logger: Logger, onLost: (host: string) => void) {
    this.#dir = dir
    this.#log = logger
    this.#onLost = onLost
    this.#periodMs = periodMs
  }

  async start (): Promise<void> {
    await this.refresh()
    this.#timer = setInterval(() => { this.refresh().catch(() => { /* logged in refresh */ }) }, this.#periodMs)
    this.#timer.unref()
  }

  /** Redis's clock now, as this view estimates it. */
  now (): number {
    return this.#redisNow + (performance.now() - this.#readAt)
  }

  isLive (host: string): boolean {
    const m = this.#members.get(host)
    return m !== undefined && m.leaseEnd > this.now()
  }

  get (host: string): LiveMember | undefined {
    return this.isLive(host) ? this.#members.get(host) : undefined
  }

  live (): LiveMember[] {
    const now = this.now()
    return [...this.#members.values()].filter(m => m.leaseEnd > now)
  }

  /** Reads the members again; concurrent callers share one read. */
  refresh (): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const readAt = performance.now()
        const { now, members } = await this.#dir.members()
        const next = new Map(members.map(m => [m.host, m]))
        for (const host of this.#members.keys()) if (!next.has(host)) this.#onLost(host)
        this.#members = next
        this.#redisNow = now
        this.#readAt = readAt
      } catch (err) {
        this.#log.warn({ err }, 'reading the cluster\'s members failed')
        throw err
      } finally {
        this.#refreshing = null
      }
    })()
    return this.#refreshing
  }

  /**
   * Waits until `host`'s lease is over (it was killed or cut off), looking
   * again every few tens of milliseconds; gives up after a short while or at
   * `deadline`, so that a host that only hiccuped is tried again.
   */
  async gone (host: string, deadline: number): Promise<void> {
    const until = Math.min(deadline, Date.now() + GONE_LOOK_MS)
    for (;;) {
      await this.refresh().catch(() => { /* Redis slow: look again */ })
      if (!this.isLive(host) || Date.now() >= until) return
      // The lease ends at a known time: no need to look before it.
      const left = (this.#members.get(host)?.leaseEnd ?? 0) - this.now()
      await sleep(Math.max(10, Math.min(50, left, until - Date.now())))
    }
  }

  close (): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
