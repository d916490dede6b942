// The shared threads of one context realm definition: one piscina pool of
// `threads` threads, each running one long task (context-runtime.ts) that
// serves many sessions. A session is placed on the thread with the fewest
// sessions and stays there for its life. A hung thread is terminated (piscina
// aborts its task and starts a replacement) and its other sessions restart
// on the group's threads from their last checkpoint.
import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import type { Logger } from 'pino'
import type { WorkerRealm } from '../config.ts'
import type { ContextBundle } from './context-bundle.ts'
import { ContextThread } from './context-thread.ts'
import type { ContextSession } from './context-thread.ts'

const CONTEXT_RUNTIME = import.meta.resolve('@sessiond/worker-sdk/context-runtime')

/** A realm's thread count when it sets none: the cores but one for the gateway, at least one. */
export function defaultThreads (): number {
  return Math.max(1, availableParallelism() - 1)
}

export interface ContextThreadsOptions {
  realm: WorkerRealm
  bundle: ContextBundle
  logLevel: string
  logger: Logger
  /** The last session left the group's threads. */
  onIdle?: () => void
}

export class ContextThreads {
  readonly #pool: Piscina
  readonly #threads: ContextThread[]
  readonly #opts: ContextThreadsOptions
  readonly #log: Logger
  #closing: Promise<void> | null = null

  constructor (opts: ContextThreadsOptions) {
    this.#opts = opts
    const { realm, logger } = opts
    this.#log = logger
    const n = realm.threads ?? defaultThreads()
    this.#pool = new Piscina({
      filename: CONTEXT_RUNTIME,
      minThreads: n,
      maxThreads: n,
      concurrentTasksPerWorker: 1,
      // Each thread's one task never returns while the group lives: no thread should park in Atomics.wait.
      atomics: 'disabled',
      recordTiming: false,
      resourceLimits: realm.resourceLimits,
      closeTimeout: realm.stopTimeout
    })
    this.#pool.on('error', (err: Error) => this.#log.error({ err }, 'context thread pool error'))
    this.#threads = Array.from({ length: n }, () => this.#thread())
  }

  #thread (): ContextThread {
    const { realm, bundle, logLevel } = this.#opts
    return new ContextThread({ pool: this.#pool, realm: realm.name, bundle, logLevel, onEnd: (t, err) => this.#ended(t, err), onLeave: () => this.#left() })
  }

  #left (): void {
    if (this.sessionCount === 0) this.#opts.onIdle?.()
  }

  /** Every thread booted (its bundle compiled): for callers that want the first session not to wait. */
  booted (): Promise<void> {
    return Promise.all(this.#threads.map(t => t.booted)).then(() => undefined)
  }

  get sessionCount (): number {
    return this.#threads.reduce((n, t) => n + t.sessionCount, 0)
  }

  /** The thread a new session goes to: the one with the fewest sessions. */
  place (): ContextThread {
    let best = this.#threads[0]
    for (const t of this.#threads) if (t.sessionCount < best.sessionCount) best = t
    return best
  }

  /**
   * The thread stopped answering: it is terminated now and replaced. The
   * session that hung it (`culprit`) ends as a crash; every other restarts.
   */
  recycle (thread: ContextThread, culprit: ContextSession): void {
    if (thread.over || this.#closing) return
    const others = thread.sessions().filter(s => s !== culprit)
    this.#log.warn({ threadId: thread.threadId, sessions: others.length }, 'a shared thread stopped answering: terminating it; its other sessions restart from their last checkpoints')
    thread.recycle()
    this.#replace(thread)
    culprit.threadLost(new Error('this session\'s code stopped answering and hung it'))
    for (const s of others) s.threadLost(null)
  }

  #ended (thread: ContextThread, err: Error): void {
    if (this.#closing) return
    this.#log.error({ err, threadId: thread.threadId, sessions: thread.sessionCount }, 'a shared thread ended unexpectedly')
    this.#replace(thread)
    for (const s of thread.sessions()) s.threadLost(err)
  }

  #replace (thread: ContextThread): void {
    const i = this.#threads.indexOf(thread)
    if (i !== -1) this.#threads[i] = this.#thread()
  }

  close (): Promise<void> {
    this.#closing ??= (async () => {
      for (const t of this.#threads) t.close()
      await this.#pool.destroy()
    })()
    return this.#closing
  }
}
