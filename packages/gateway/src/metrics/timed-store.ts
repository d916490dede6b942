import { FixedHistogram } from '@sessiond/supervisor'
import type { HistogramData } from '@sessiond/supervisor'
import type {
  ListOptions, LockMode, LockStats, OpenOptions, SessionHandle, SessionRecord, SessionStore, SessionSummary, WorkerStateOptions
} from '@sessiond/session-store'

/** The store operations timed, by the name the metrics carry (`op`). */
export const TIMED_OPS = [
  'create', 'lookup', 'list', 'flush_touches', 'open', 'destroy', 'get', 'put', 'remove', 'exists', 'keys', 'get_all', 'put_all',
  'regenerate_id', 'save_worker_state', 'load_worker_state', 'clear_worker_state', 'gc'
] as const
type Op = typeof TIMED_OPS[number]

/**
 * The session store with each operation's duration recorded, failures
 * included, for sessiond_store_operation_duration_seconds. `touch` is not
 * timed: it is the hot path's, and only marks a batch (its writes are
 * `flush_touches`). A handle's own reads and writes are timed as `open`
 * took them, not one by one.
 */
export class TimedStore implements SessionStore {
  readonly #store: SessionStore
  readonly #h = new Map<Op, FixedHistogram>(TIMED_OPS.map(op => [op, new FixedHistogram()]))

  constructor (store: SessionStore) {
    this.#store = store
  }

  get kind (): string { return this.#store.kind }

  /** The store underneath, for what only a backend has (tests' Redis data marker). */
  get inner (): SessionStore { return this.#store }

  durations (): Array<{ op: string, data: HistogramData }> {
    return [...this.#h].map(([op, h]) => ({ op, data: h.snapshot() })).filter(d => d.data.count > 0)
  }

  async #timed<T> (op: Op, run: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await run()
    } finally {
      this.#h.get(op)!.observe((performance.now() - started) / 1000)
    }
  }

  create (user: string, ttlMs: number): Promise<SessionRecord> { return this.#timed('create', () => this.#store.create(user, ttlMs)) }
  lookup (id: string): Promise<SessionRecord | null> { return this.#timed('lookup', () => this.#store.lookup(id)) }
  list (opts?: ListOptions): Promise<{ total: number, sessions: SessionSummary[] }> { return this.#timed('list', () => this.#store.list(opts)) }
  lockStats (): LockStats { return this.#store.lockStats() }
  touch (id: string): void { this.#store.touch(id) }
  flushTouches (): Promise<void> { return this.#timed('flush_touches', () => this.#store.flushTouches()) }
  open (id: string, mode: LockMode, opts?: OpenOptions): Promise<SessionHandle> { return this.#timed('open', () => this.#store.open(id, mode, opts)) }
  destroy (id: string): Promise<boolean> { return this.#timed('destroy', () => this.#store.destroy(id)) }
  get (id: string, key: string): Promise<string | undefined> { return this.#timed('get', () => this.#store.get(id, key)) }
  put (id: string, key: string, value: string): Promise<void> { return this.#timed('put', () => this.#store.put(id, key, value)) }
  remove (id: string, key: string): Promise<void> { return this.#timed('remove', () => this.#store.remove(id, key)) }
  exists (id: string, key: string): Promise<boolean> { return this.#timed('exists', () => this.#store.exists(id, key)) }
  keys (id: string): Promise<string[]> { return this.#timed('keys', () => this.#store.keys(id)) }
  getAll (id: string): Promise<Record<string, string>> { return this.#timed('get_all', () => this.#store.getAll(id)) }
  putAll (id: string, data: Record<string, string>): Promise<void> { return this.#timed('put_all', () => this.#store.putAll(id, data)) }
  regenerateId (id: string): Promise<string> { return this.#timed('regenerate_id', () => this.#store.regenerateId(id)) }
  saveWorkerState (id: string, realm: string, json: string, opts?: WorkerStateOptions): Promise<void> {
    return this.#timed('save_worker_state', () => this.#store.saveWorkerState(id, realm, json, opts))
  }

  loadWorkerState (id: string, realm: string): Promise<string | undefined> { return this.#timed('load_worker_state', () => this.#store.loadWorkerState(id, realm)) }
  clearWorkerState (id: string, realm: string, opts?: WorkerStateOptions): Promise<void> {
    return this.#timed('clear_worker_state', () => this.#store.clearWorkerState(id, realm, opts))
  }

  gc (now?: number): Promise<number> { return this.#timed('gc', () => this.#store.gc(now)) }
  onSessionEnd (listener: (id: string) => void): () => void { return this.#store.onSessionEnd(listener) }
  onDataLost (listener: () => void): () => void { return this.#store.onDataLost(listener) }
  close (): Promise<void> { return this.#store.close() }
}
