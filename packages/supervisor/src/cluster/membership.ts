// A supervisor's membership lease: joined once at start, renewed well inside
// its TTL, given up at a clean stop. A supervisor that cannot renew fences
// itself before its lease can have run out:
//
//   renewal sent at t0 (this host's monotonic clock) ── Redis grants until T + ttl,
//   T ≥ t0 in real time ──▶ the lease cannot end before t0 + ttl here
//   safeUntil = t0 + ttl × 3/4: past it (no renewal came back), or when a
//   renewal finds the lease gone, the host serves nothing (safe() is false,
//   checked on every dispatch) and stops its workers; it keeps trying to
//   join again as a new incarnation, with none.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { ClusterDirectory, MemberInfo } from '@sessiond/session-store'
import { within } from '../within.ts'
import { StoreUnavailableTimeout } from '../errors.ts'

/** The part of the lease a host trusts: it fences itself with a quarter of it still to run. */
const SAFE_PART = 0.75
/** Renewals per lease. */
const RENEWALS = 5

export interface MembershipOptions {
  directory: ClusterDirectory
  /** What the host says of itself with each renewal. */
  info: () => MemberInfo
  leaseMs: number
  logger: Logger
  /** The lease may have run out: stop every worker. */
  onLapse: () => void
}

export class Membership {
  #dir: ClusterDirectory
  #info: () => MemberInfo
  #leaseMs: number
  #log: Logger
  #onLapse: () => void
  #incarnation = ''
  #joined = false
  #safeUntil = 0
  #timer: NodeJS.Timeout | null = null
  #fence: NodeJS.Timeout | null = null
  #inFlight = 0
  #closed = false

  constructor ({ directory, info, leaseMs, logger, onLapse }: MembershipOptions) {
    this.#dir = directory
    this.#info = info
    this.#leaseMs = leaseMs
    this.#log = logger
    this.#onLapse = onLapse
  }

  /**
   * Joins, waiting out the lease of a previous incarnation of this host (a
   * crash just before this start) for at most one more lease; then renews.
   */
  async start (): Promise<void> {
    const deadline = performance.now() + this.#leaseMs * 1.5
    for (;;) {
      try {
        await this.#join()
        break
      } catch (err) {
        if ((err as { code?: string }).code !== 'STORE_ERR_HOST_TAKEN' || performance.now() > deadline) throw err
        await sleep(this.#leaseMs / RENEWALS)
      }
    }
    this.#timer = setInterval(() => { void this.#tick() }, this.#leaseMs / RENEWALS)
    this.#timer.unref()
  }

  /** Whether this host may serve now: its lease is surely live. */
  safe (): boolean {
    return performance.now() < this.#safeUntil
  }

  get incarnation (): string {
    return this.#incarnation
  }

  /** Renews now, so that what the host says of itself (draining) is seen at once. */
  async renewNow (): Promise<void> {
    await this.#renew()
  }

  async #join (): Promise<void> {
    const incarnation = randomBytes(8).toString('base64url')
    const t0 = performance.now()
    await this.#dir.join(this.#info(), incarnation, this.#leaseMs)
    this.#incarnation = incarnation
    this.#joined = true
    this.#granted(t0)
    this.#log.info({ incarnation }, 'joined the cluster')
  }

  #granted (t0: number): void {
    // Renewals may come back out of order: the latest grant counts.
    this.#safeUntil = Math.max(this.#safeUntil, t0 + this.#leaseMs * SAFE_PART)
    if (this.#fence) clearTimeout(this.#fence)
    this.#fence = setTimeout(() => { if (!this.safe()) this.#lapse('no renewal came back in time') }, this.#safeUntil - performance.now() + 1)
    this.#fence.unref()
  }

  async #tick (): Promise<void> {
    // Renewals overlap when Redis is slow, but never pile up.
    if (this.#closed || this.#inFlight >= 2) return
    this.#inFlight++
    try {
      if (!this.#joined) await this.#join()
      else await this.#renew()
    } catch (err) {
      // Redis unreachable or slow: the next tick tries again, and the fence timer ends it if none comes back.
      this.#log.debug({ err }, 'membership renewal failed')
    } finally {
      this.#inFlight--
    }
  }

  async #renew (): Promise<void> {
    if (!this.#joined) return
    const t0 = performance.now()
    const incarnation = this.#incarnation
    const lease = await within(this.#dir.renew(this.#info(), incarnation, this.#leaseMs), this.#leaseMs / 2, () => new StoreUnavailableTimeout())
    if (incarnation !== this.#incarnation || !this.#joined) return
    if (lease === null) this.#lapse('the lease had run out when its renewal arrived')
    else if (this.#joined) this.#granted(t0)
  }

  #lapse (why: string): void {
    if (!this.#joined || this.#closed) return
    this.#joined = false
    this.#safeUntil = 0
    this.#log.error({ why }, 'membership lease lost: this host serves nothing and stops its workers, then joins again')
    this.#onLapse()
  }

  /** Stops renewing and ends the lease at once, so that gateways move its sessions without waiting. */
  async close (): Promise<void> {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    if (this.#fence) clearTimeout(this.#fence)
    this.#safeUntil = 0
    if (this.#joined) await this.#dir.leave(this.#info().host, this.#incarnation).catch((err: unknown) => this.#log.warn({ err }, 'leaving the cluster failed: the lease runs out by itself'))
    this.#joined = false
  }
}
