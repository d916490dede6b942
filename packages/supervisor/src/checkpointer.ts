import type { Hibernated } from './kinds/worker-kind.ts'
import { LifecycleSweeper } from './lifecycle-sweeper.ts'
import type { WorkerEntry, WorkerTable } from './worker-table.ts'

/**
 * Periodic checkpoints: for realms with `checkpoint`, each live worker's
 * handler is asked for its state (`hibernate` without the stop) about that
 * often, and the state is saved where an idle stop would save it, so that
 * losing the worker unplanned (its shared thread recycled, a crash, a host
 * gone) costs at most that much. One timer for the table, as the sweeper.
 *
 * A checkpoint waits for a moment with nothing in flight, so that the state
 * is not taken halfway through a request; a worker that stays busy is
 * checkpointed anyway once it is a whole interval late.
 */
export class Checkpointer {
  readonly #table: WorkerTable
  readonly #save: (entry: WorkerEntry, state: Hibernated) => Promise<void>
  readonly #last = new WeakMap<WorkerEntry, number>()
  readonly #running = new Map<WorkerEntry, Promise<void>>()
  #timer: NodeJS.Timeout | null = null

  constructor (table: WorkerTable, save: (entry: WorkerEntry, state: Hibernated) => Promise<void>) {
    this.#table = table
    this.#save = save
  }

  /** Sweeps often enough for the shortest interval; none: no timer. */
  reschedule (intervals: number[]): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    const on = intervals.filter(ms => ms > 0)
    if (on.length === 0) return
    this.#timer = setInterval(() => this.sweep(), LifecycleSweeper.period(on))
    this.#timer.unref()
  }

  sweep (now = Date.now()): void {
    for (const entry of this.#table.entries()) {
      const w = entry.worker
      const every = entry.config.checkpoint
      if (!w?.checkpoint || every <= 0 || this.#running.has(entry)) continue
      const late = now - (this.#last.get(entry) ?? entry.startedAt) - every
      if (late < 0 || (w.inFlight > 0 && late < every)) continue
      this.#last.set(entry, now)
      const done = w.checkpoint().then(
        (state) => state ? this.#save(entry, state) : undefined,
        () => { /* the worker logged why; the next sweep tries again */ }
      ).finally(() => this.#running.delete(entry))
      this.#running.set(entry, done)
    }
  }

  /** A checkpoint of the entry still being saved: a stop waits for it, so that its own state is saved last. */
  settled (entry: WorkerEntry): Promise<void> {
    return this.#running.get(entry) ?? Promise.resolve()
  }

  close (): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }
}
