// What operators see of a supervisor and what they may ask of it: plain data,
// so that the admin API, the status page, metrics and the CLI read a
// supervisor on another host the same way as the embedded one (dispatcher.ts).
// Sessions appear by their hash (sessionHash), never their id.
import type { HistogramData } from './fixed-histogram.ts'
import type { RealmCounts } from './realm-counters.ts'
import type { SpareCounts } from './spare-pool.ts'

export type WorkerState = 'starting' | 'ready' | 'busy' | 'hibernated' | 'backoff' | 'stopping'

export const WORKER_STATES: readonly WorkerState[] = ['starting', 'ready', 'busy', 'hibernated', 'backoff', 'stopping']

/** One (session, realm) slot as an operator sees it. */
export interface WorkerInfo {
  /** `<session hash>.<realm>`: what actions name. */
  id: string
  /** The supervisor's host, once there are several (issue 11); null for the embedded one. */
  host: string | null
  realm: string
  kind: string
  state: WorkerState
  /** The session's hash, as logs carry it. */
  session: string
  user: string
  pid: number | null
  threadId: number | null
  uid: number | null
  gid: number | null
  /** When it became ready (ms since the epoch); null while starting and for slots with no worker. */
  startedAt: number | null
  /** Its last request began or ended then (ms); for a hibernated slot, when it hibernated. */
  lastActivity: number | null
  requests: number
  inFlight: number
  queued: number
  rssBytes: number | null
  heapUsedBytes: number | null
  cpuSeconds: number | null
  /** Crashes and restarts of this slot since the supervisor started. */
  restarts: number
  openSockets: number | null
  /** A slot in crash backoff may start again then (ms). */
  backoffUntil: number | null
}

export interface WorkerFilter {
  realm?: string
  kind?: string
  state?: WorkerState
  user?: string
  /** A session hash. */
  session?: string
  /** Measure memory, CPU and sockets (reads /proc per child, asks each thread): the views that show them. */
  usage?: boolean
}

/** A slot, as actions name it. */
export interface WorkerTarget {
  /** The session's hash. */
  session: string
  realm: string
}

/**
 * - stop: the worker stops without hibernating; its saved state is dropped, so the session's next request starts afresh.
 * - hibernate: the worker hibernates (its state saved) and stops; the next request resumes it.
 * - restart: hibernates and stops it, and starts a new worker for the session at once, resuming; a slot in crash backoff is let out of it.
 */
export type WorkerAction = 'stop' | 'hibernate' | 'restart'

export interface WorkerActionResult {
  action: WorkerAction
  /** The slot as it was before. */
  before: WorkerInfo
  /** The slot after the action: null when no worker or record is left. */
  after: WorkerInfo | null
}

/** One realm's summary: what PHP-FPM's and Passenger's status pages give. */
export interface RealmStatus {
  name: string
  kind: string
  /** Slots by state (every WorkerState, zeros included). */
  workers: Record<WorkerState, number>
  maxWorkers: number | null
  /** Requests waiting in this realm's workers' queues now. */
  queued: number
  /** Each worker's queue bound. */
  queueLimit: number
  spares: SpareCounts | null
  counts: RealmCounts
}

export interface SupervisorStatus {
  host: string | null
  startedAt: number
  realms: RealmStatus[]
}

export type { HistogramData, RealmCounts }

function addHistograms (a: HistogramData, b: HistogramData): HistogramData {
  // Every supervisor measures in the same buckets (SECONDS_BUCKETS); other bounds would not add up.
  if (a.bounds.length !== b.bounds.length || a.bounds.some((x, i) => x !== b.bounds[i])) return a
  return { bounds: a.bounds, counts: a.counts.map((c, i) => c + b.counts[i]), sum: a.sum + b.sum, count: a.count + b.count }
}

function addCounts (a: RealmCounts, b: RealmCounts): RealmCounts {
  const rejected = { ...a.rejected }
  for (const [reason, n] of Object.entries(b.rejected)) rejected[reason] = (rejected[reason] ?? 0) + n
  return {
    spawns: a.spawns + b.spawns,
    spawnFailures: a.spawnFailures + b.spawnFailures,
    crashes: a.crashes + b.crashes,
    backoffs: a.backoffs + b.backoffs,
    memoryKills: a.memoryKills + b.memoryKills,
    hibernations: a.hibernations + b.hibernations,
    resumes: a.resumes + b.resumes,
    rejected,
    // Each host's peak, summed: the most the cluster can have held at once.
    peakWorkers: a.peakWorkers + b.peakWorkers,
    peakQueued: Math.max(a.peakQueued, b.peakQueued),
    spawnSeconds: addHistograms(a.spawnSeconds, b.spawnSeconds),
    queueWaitSeconds: addHistograms(a.queueWaitSeconds, b.queueWaitSeconds)
  }
}

/** Several supervisors' status as one (a cluster's, host null): per realm, their figures summed; started when the first one did. */
export function mergeStatus (all: readonly SupervisorStatus[]): SupervisorStatus {
  const realms = new Map<string, RealmStatus>()
  for (const s of all) {
    for (const r of s.realms) {
      const seen = realms.get(r.name)
      if (!seen) {
        realms.set(r.name, structuredClone(r))
        continue
      }
      for (const state of WORKER_STATES) seen.workers[state] += r.workers[state]
      seen.queued += r.queued
      seen.maxWorkers = seen.maxWorkers === null || r.maxWorkers === null ? null : seen.maxWorkers + r.maxWorkers
      if (r.spares) seen.spares = seen.spares ? { ready: seen.spares.ready + r.spares.ready, booting: seen.spares.booting + r.spares.booting, failed: seen.spares.failed + r.spares.failed } : { ...r.spares }
      seen.counts = addCounts(seen.counts, r.counts)
    }
  }
  return { host: null, startedAt: Math.min(...all.map(s => s.startedAt), Date.now()), realms: [...realms.values()] }
}
