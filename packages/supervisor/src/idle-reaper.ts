import type { WorkerEntry, WorkerTable } from './worker-table.ts'

/**
 * Stops workers that served nothing for their realm's idle timeout. One
 * timer sweeps the table rather than one timer per worker, so the hot path
 * never touches a timer; a worker is reaped between its timeout and its
 * timeout plus one sweep period.
 */
export class IdleReaper {
  #timer: NodeJS.Timeout
  #table: WorkerTable
  #idleTimeout: (realm: string) => number
  #retire: (entry: WorkerEntry) => void

  constructor (table: WorkerTable, idleTimeout: (realm: string) => number, retire: (entry: WorkerEntry) => void, periodMs: number) {
    this.#table = table
    this.#idleTimeout = idleTimeout
    this.#retire = retire
    this.#timer = setInterval(() => this.sweep(), periodMs)
    this.#timer.unref()
  }

  /** The sweep period for a set of idle timeouts: a quarter of the shortest, within bounds. */
  static period (timeouts: number[]): number {
    const shortest = Math.min(...timeouts, 60_000)
    return Math.min(5_000, Math.max(10, Math.floor(shortest / 4)))
  }

  sweep (now = Date.now()): void {
    const idle: WorkerEntry[] = []
    for (const entry of this.#table.entries()) {
      const w = entry.worker
      if (w && w.inFlight === 0 && now - w.lastActivity >= this.#idleTimeout(entry.realm)) idle.push(entry)
    }
    for (const entry of idle) this.#retire(entry)
  }

  close (): void {
    clearInterval(this.#timer)
  }
}
