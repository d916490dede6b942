import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { Worker } from './kinds/worker-kind.ts'
import type { WorkerEntry, WorkerTable } from './worker-table.ts'

/** Why a live worker should stop now, or null to let it be. */
export type StopPolicy = (entry: WorkerEntry, worker: Worker, now: number) => StopReason | null

/**
 * Stops workers whose time is up: idle past their realm's timeout, past
 * their maximum lifetime, or left over from a realm definition a reload
 * replaced. One timer sweeps the table rather than one timer per worker, so
 * the hot path never touches a timer; a worker goes between its deadline and
 * that deadline plus one sweep period. Only workers with nothing in flight
 * are stopped: a busy one is looked at again next sweep.
 */
export class LifecycleSweeper {
  #timer: NodeJS.Timeout | null = null
  #table: WorkerTable
  #policy: StopPolicy
  #retire: (entry: WorkerEntry, reason: StopReason) => void

  constructor (table: WorkerTable, policy: StopPolicy, retire: (entry: WorkerEntry, reason: StopReason) => void, periodMs: number) {
    this.#table = table
    this.#policy = policy
    this.#retire = retire
    this.reschedule(periodMs)
  }

  /** The sweep period for a set of deadlines: a quarter of the shortest, within bounds. */
  static period (deadlines: Array<number | undefined>): number {
    const shortest = Math.min(...deadlines.filter((d): d is number => d !== undefined && d > 0), 60_000)
    return Math.min(5_000, Math.max(10, Math.floor(shortest / 4)))
  }

  reschedule (periodMs: number): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = setInterval(() => this.sweep(), periodMs)
    this.#timer.unref()
  }

  sweep (now = Date.now()): void {
    const due: Array<[WorkerEntry, StopReason]> = []
    for (const entry of this.#table.entries()) {
      const w = entry.worker
      if (!w || w.inFlight > 0) continue
      const reason = this.#policy(entry, w, now)
      if (reason) due.push([entry, reason])
    }
    for (const [entry, reason] of due) this.#retire(entry, reason)
  }

  close (): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
