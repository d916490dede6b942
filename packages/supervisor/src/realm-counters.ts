import { FixedHistogram } from './fixed-histogram.ts'
import type { HistogramData } from './fixed-histogram.ts'

/** Why a request got 503: a label value per code, never a user or a session. */
const REJECT_REASONS: Record<string, string> = {
  SUP_ERR_QUEUE_FULL: 'queue_full',
  SUP_ERR_QUEUE_TIMEOUT: 'queue_timeout',
  SUP_ERR_WORKER_LIMIT: 'worker_limit',
  SUP_ERR_WORKER_BACKOFF: 'backoff',
  SUP_ERR_CLOSED: 'shutting_down',
  SUP_ERR_WORKER_STOPPED: 'worker_stopping',
  SUP_ERR_TRANSIENT_EXHAUSTED: 'transient_uids'
}

/** The 503 reasons, each with its code: docs/metrics.md lists them. */
export const REJECT_REASON_CODES: Readonly<Record<string, string>> = REJECT_REASONS

/** What happened to one realm's workers since the supervisor started: plain data. */
export interface RealmCounts {
  spawns: number
  /** Starts that failed (a command not found, a start timeout, an account missing). */
  spawnFailures: number
  crashes: number
  /** Times a slot went into crash backoff. */
  backoffs: number
  /** Workers killed for their memory (maxRssMb). */
  memoryKills: number
  hibernations: number
  resumes: number
  /** 503s by reason (queue_full, queue_timeout, worker_limit, backoff, …). */
  rejected: Record<string, number>
  /** The most live workers at once. */
  peakWorkers: number
  /** The longest queue one worker of the realm had. */
  peakQueued: number
  spawnSeconds: HistogramData
  queueWaitSeconds: HistogramData
}

/** One realm's counters; the request gate reports its queue to it. */
export class RealmCounter {
  spawns = 0
  spawnFailures = 0
  crashes = 0
  backoffs = 0
  memoryKills = 0
  hibernations = 0
  resumes = 0
  peakWorkers = 0
  peakQueued = 0
  readonly rejected: Record<string, number> = {}
  readonly spawnSeconds = new FixedHistogram()
  readonly queueWaitSeconds = new FixedHistogram()

  /** A request waited `ms` in a worker's queue before it was admitted. */
  waited (ms: number): void {
    this.queueWaitSeconds.observe(ms / 1000)
  }

  queued (depth: number): void {
    if (depth > this.peakQueued) this.peakQueued = depth
  }

  /** Counts the error if it is a 503 of the supervisor's own; answers whether it was. */
  reject (err: unknown): boolean {
    const reason = REJECT_REASONS[(err as { code?: string } | null)?.code ?? '']
    if (reason === undefined) return false
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1
    return true
  }

  snapshot (): RealmCounts {
    return {
      spawns: this.spawns,
      spawnFailures: this.spawnFailures,
      crashes: this.crashes,
      backoffs: this.backoffs,
      memoryKills: this.memoryKills,
      hibernations: this.hibernations,
      resumes: this.resumes,
      rejected: { ...this.rejected },
      peakWorkers: this.peakWorkers,
      peakQueued: this.peakQueued,
      spawnSeconds: this.spawnSeconds.snapshot(),
      queueWaitSeconds: this.queueWaitSeconds.snapshot()
    }
  }
}

/** Counters per realm name; a realm a reload removed keeps its counts (counters never go down). */
export class RealmCounters {
  readonly #byRealm = new Map<string, RealmCounter>()

  of (realm: string): RealmCounter {
    let c = this.#byRealm.get(realm)
    if (!c) this.#byRealm.set(realm, c = new RealmCounter())
    return c
  }

  snapshot (): Record<string, RealmCounts> {
    const out: Record<string, RealmCounts> = {}
    for (const [name, c] of this.#byRealm) out[name] = c.snapshot()
    return out
  }
}
