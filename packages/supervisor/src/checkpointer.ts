import type { Logger } from 'pino'
import type { Hibernated } from './kinds/worker-kind.ts'
import type { WorkerEntry, WorkerTable } from './worker-table.ts'

/** How many workers save a checkpoint at once: a sweep must not stall every worker of the host together. */
const AT_ONCE = 8

/**
 * Saves live workers' state now and then (a realm's `checkpoint`), without
 * stopping them, so that a host lost without warning (kill -9, a partition)
 * costs each session at most that much of its in-memory state: the host
 * that resumes it starts from the last checkpoint. One timer for the table,
 * as the lifecycle sweeper has; a worker with no request since its last
 * checkpoint has nothing new to save and is skipped.
 */
export class Checkpointer {
  #timer: NodeJS.Timeout | null = null
  #table: WorkerTable
  #save: (entry: WorkerEntry, state: Hibernated) => Promise<unknown>
  #log: Logger
  #running = false

  constructor (table: WorkerTable, save: (entry: WorkerEntry, state: Hibernated) => Promise<unknown>, log: Logger) {
    this.#table = table
    this.#save = save
    this.#log = log
  }

  /** Sweeps every quarter of the shortest interval (at least 50 ms); no timer when no realm checkpoints. */
  reschedule (intervals: number[]): void {
    this.close()
    const shortest = Math.min(...intervals.filter(i => i > 0))
    if (!Number.isFinite(shortest)) return
    this.#timer = setInterval(() => { void this.sweep() }, Math.max(50, Math.floor(shortest / 4)))
    this.#timer.unref()
  }

  /** Saves the state of every worker whose interval is up and that served a request since its last checkpoint. */
  async sweep (now = Date.now()): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      const due: WorkerEntry[] = []
      for (const e of this.#table.entries()) {
        const w = e.worker
        const every = e.config.checkpoint
        if (!w?.checkpoint || e.moving || every <= 0) continue
        const last = e.checkpointAt ?? e.startedAt
        if (now - last >= every && w.lastActivity > last) due.push(e)
      }
      for (let i = 0; i < due.length; i += AT_ONCE) await Promise.all(due.slice(i, i + AT_ONCE).map(e => this.#one(e, now)))
    } finally {
      this.#running = false
    }
  }

  async #one (entry: WorkerEntry, now: number): Promise<void> {
    entry.checkpointAt = now
    try {
      const state = await entry.worker!.checkpoint!()
      // Stopped meanwhile: its stop saved the state, which is newer.
      if (state && this.#table.get(entry.sessionId, entry.realm) === entry && !entry.moving) await this.#save(entry, state)
    } catch (err) {
      this.#log.warn({ err, realm: entry.realm }, 'checkpoint failed; the last saved state stays')
    }
  }

  close (): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
