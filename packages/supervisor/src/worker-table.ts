import type { WorkerRealm } from './config.ts'
import type { RequestGate } from './request-gate.ts'
import type { Worker } from './kinds/worker-kind.ts'

/** One (session, realm) slot: a worker starting, live, or none. */
export interface WorkerEntry {
  readonly sessionId: string
  readonly realm: string
  /** The realm definition it was started with; a reload may since have replaced it. */
  readonly config: WorkerRealm
  /** Admission: the worker's concurrency and queue. */
  readonly gate: RequestGate
  /** When the worker became ready (ms). */
  startedAt: number
  /** The session's user, known once its identity was resolved. */
  user?: string
  /** Settles when the worker is ready (or failed to start). */
  ready: Promise<Worker>
  /** Set once ready: the hot path reads it without awaiting. */
  worker: Worker | null
}

/**
 * The table (session, realm) → worker, with an index by session for logout
 * and a record of workers still stopping, so that a session's next worker
 * for a realm never starts before its previous one has finished stopping.
 */
export class WorkerTable {
  #byKey = new Map<string, WorkerEntry>()
  #bySession = new Map<string, Set<WorkerEntry>>()
  #stopping = new Map<string, Promise<void>>()

  static key (sessionId: string, realm: string): string {
    return realm + '\n' + sessionId
  }

  get size (): number { return this.#byKey.size }

  get (sessionId: string, realm: string): WorkerEntry | undefined {
    return this.#byKey.get(WorkerTable.key(sessionId, realm))
  }

  add (entry: WorkerEntry): void {
    this.#byKey.set(WorkerTable.key(entry.sessionId, entry.realm), entry)
    let set = this.#bySession.get(entry.sessionId)
    if (!set) this.#bySession.set(entry.sessionId, set = new Set())
    set.add(entry)
  }

  /** Removes the entry if it is still the current one for its slot. */
  delete (entry: WorkerEntry): boolean {
    const key = WorkerTable.key(entry.sessionId, entry.realm)
    if (this.#byKey.get(key) !== entry) return false
    this.#byKey.delete(key)
    const set = this.#bySession.get(entry.sessionId)
    set?.delete(entry)
    if (set?.size === 0) this.#bySession.delete(entry.sessionId)
    return true
  }

  ofSession (sessionId: string): WorkerEntry[] {
    return [...(this.#bySession.get(sessionId) ?? [])]
  }

  entries (): IterableIterator<WorkerEntry> {
    return this.#byKey.values()
  }

  /** Records a stop in progress for the slot; `stopped()` waits for it. */
  trackStop (sessionId: string, realm: string, done: Promise<void>): void {
    const key = WorkerTable.key(sessionId, realm)
    const settled = done.catch(() => { /* a failed stop still frees the slot */ }).finally(() => {
      if (this.#stopping.get(key) === settled) this.#stopping.delete(key)
    })
    this.#stopping.set(key, settled)
  }

  stopped (sessionId: string, realm: string): Promise<void> | undefined {
    return this.#stopping.get(WorkerTable.key(sessionId, realm))
  }

  allStopped (): Promise<void> {
    return Promise.all(this.#stopping.values()).then(() => undefined)
  }
}
