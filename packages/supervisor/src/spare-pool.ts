import type { Logger } from 'pino'
import type { WorkerRealm } from './config.ts'
import type { Worker } from './kinds/worker-kind.ts'
import { exponentialDelay } from './exponential-delay.ts'

/** A worker booted without a session: it can be claimed once, or stopped. */
export type Spare = Worker

/** Boots one spare for the realm; `onExit` fires if it dies before it is claimed. */
export type BootSpare = (realm: WorkerRealm, onExit: (err: Error) => void) => Promise<Spare>

export interface SpareCounts { ready: number, booting: number, failed: number }

const REFILL_DELAY_MS = 200
const RETRY_FIRST_MS = 1_000
const RETRY_MAX_MS = 60_000

interface RealmSpares {
  realm: WorkerRealm
  ready: Spare[]
  booting: number
  /** Boots that failed, and spares that died unclaimed. */
  failed: number
  /** After a failed boot, no new one before this; doubles on each failure. */
  retryAt: number
  /** Failures in a row: the next retry waits exponentialDelay of it. */
  failuresInRow: number
  timer: NodeJS.Timeout | null
}

/**
 * Pre-warmed workers per realm, for the first request of a new session to
 * claim instead of paying a cold start. Each realm is kept topped up to its
 * `spares` in the background; a spare that fails to boot or dies before
 * it is claimed is replaced after a delay that doubles on every failure,
 * so a broken handler cannot make the pool spin.
 *
 * Spares are not counted against the worker limits: they serve nobody, and
 * their number is bounded by the realms' `spares`.
 */
export class SparePool {
  #byRealm = new Map<string, RealmSpares>()
  #boot: BootSpare
  #log: Logger
  #closed = false

  constructor (boot: BootSpare, logger: Logger) {
    this.#boot = boot
    this.#log = logger
  }

  /** A ready spare of exactly this realm definition, if one waits; the pool refills behind it. */
  take (realm: WorkerRealm): Spare | undefined {
    const slot = this.#byRealm.get(realm.name)
    if (!slot || slot.realm !== realm) return undefined
    const spare = slot.ready.pop()
    // Not at once: booting a worker competes for the CPU with the claim and
    // the first request it exists to speed up (on 2 cores it doubled both).
    setTimeout(() => this.#fill(slot), REFILL_DELAY_MS).unref()
    return spare
  }

  /** Keeps these realm definitions topped up; spares of others (changed or removed realms) are stopped. */
  sync (realms: Iterable<WorkerRealm>): void {
    if (this.#closed) return
    const wanted = new Map<string, WorkerRealm>()
    for (const r of realms) if (r.spares > 0) wanted.set(r.name, r)
    for (const [name, slot] of this.#byRealm) {
      if (wanted.get(name) === slot.realm) continue
      this.#drop(slot)
      this.#byRealm.delete(name)
    }
    for (const realm of wanted.values()) {
      if (this.#byRealm.has(realm.name)) continue
      const slot: RealmSpares = { realm, ready: [], booting: 0, failed: 0, retryAt: 0, failuresInRow: 0, timer: null }
      this.#byRealm.set(realm.name, slot)
      this.#fill(slot)
    }
  }

  /** Per realm: spares ready and booting, and how many failed so far. */
  counts (): Record<string, SpareCounts> {
    const out: Record<string, SpareCounts> = {}
    for (const [name, s] of this.#byRealm) out[name] = { ready: s.ready.length, booting: s.booting, failed: s.failed }
    return out
  }

  async close (): Promise<void> {
    this.#closed = true
    const slots = [...this.#byRealm.values()]
    this.#byRealm.clear()
    await Promise.all(slots.map(s => this.#drop(s)))
  }

  #fill (slot: RealmSpares): void {
    if (this.#closed || this.#byRealm.get(slot.realm.name) !== slot) return
    const wait = slot.retryAt - Date.now()
    if (wait > 0) {
      slot.timer ??= setTimeout(() => { slot.timer = null; this.#fill(slot) }, wait).unref()
      return
    }
    while (slot.ready.length + slot.booting < slot.realm.spares) {
      slot.booting++
      let spare: Spare | undefined
      const onExit = (err: Error) => {
        // Died while waiting: it is no longer a spare.
        const i = spare ? slot.ready.indexOf(spare) : -1
        if (i === -1) return
        slot.ready.splice(i, 1)
        this.#failed(slot, err)
      }
      this.#boot(slot.realm, onExit).then((w) => {
        spare = w
        slot.booting--
        if (this.#closed || this.#byRealm.get(slot.realm.name) !== slot) return void w.stop('replaced')
        slot.ready.push(w)
        slot.failuresInRow = 0
      }, (err: Error) => {
        slot.booting--
        this.#failed(slot, err)
      })
    }
  }

  #failed (slot: RealmSpares, err: Error): void {
    slot.failed++
    const retryInMs = exponentialDelay(RETRY_FIRST_MS, RETRY_MAX_MS, slot.failuresInRow++)
    this.#log.error({ err, realm: slot.realm.name, retryInMs }, 'spare worker failed')
    slot.retryAt = Date.now() + retryInMs
    this.#fill(slot)
  }

  async #drop (slot: RealmSpares): Promise<void> {
    if (slot.timer) clearTimeout(slot.timer)
    const spares = slot.ready.splice(0)
    await Promise.all(spares.map(s => s.stop('replaced').catch(() => undefined)))
  }
}
