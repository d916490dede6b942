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
