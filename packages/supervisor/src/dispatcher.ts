// The seam between a gateway and the supervisor that owns a session's
// workers, modelled on undici's Dispatcher: requests and answers are plain
// data plus body streams, so that one implementation is a function call
// into the embedded supervisor (supervisor.ts) and another can carry the
// same calls over HTTP to a supervisor on another host.
//
//   gateway ── dispatch({ identity, realm, head, body }) ──▶ Dispatcher ──▶ worker
//           ◀──────────── { status, headers, body } ───────────────┘
//           ── stopSession / sessions / reconfigure ──▶ (the same seam)
//           ── workers / workerAction / status / startWorker ──▶ what operators see and do (operator-views.ts)
import type { Readable } from 'node:stream'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { WorkerRealm } from './config.ts'
import type { SpareCounts } from './spare-pool.ts'
import type { SupervisorStatus, WorkerAction, WorkerActionResult, WorkerFilter, WorkerInfo, WorkerTarget } from './operator-views.ts'

/**
 * Who a request is for, as the gateway resolved it (from its sealed cookie,
 * or the store for old cookies). Data, never a callback into the gateway:
 * the supervisor confirms the session in the store before it starts a
 * worker for it, and never needs to ask the gateway anything.
 */
export interface Identity {
  sessionId: string
  user: string
}

/** One request as it reaches a worker: the path is already relative to the realm's mount. */
export interface WorkerRequest {
  method: string
  url: string
  /** Flat `[name, value, …]`, hop-by-hop headers already removed. */
  headers: string[]
  /** The streamed body, or null when the request has none. */
  body: Readable | null
}

export interface WorkerResponse {
  status: number
  headers: string[]
  /** Whole when it fit in one message, streamed otherwise. */
  body: Uint8Array | Readable | null
}

/** A request for one (session, realm): its worker is found or started by the dispatcher. */
export interface DispatchRequest extends WorkerRequest {
  identity: Identity
  realm: string
}

/** A worker to start for a (session, realm) without a request: a page that follows a slow start asks for it. */
export interface StartRequest {
  identity: Identity
  realm: string
}

/** What a reconfigure changed in the workers' definitions, by realm name. */
export interface ReconfigureSummary {
  added: string[]
  /** Realms whose worker settings changed: their live workers drain and their sessions resume on the new definition. */
  changed: string[]
  removed: string[]
}

export interface SupervisorStats {
  workers: number
  byRealm: Record<string, number>
  /** Requests waiting in workers' queues. */
  queued: number
  /** Per realm with spares: ready, booting, and failed so far. */
  spares: Record<string, SpareCounts>
  spawned: number
  /** Stopped for being idle. */
  reaped: number
  /** Stopped for their maximum lifetime, or replaced by a reload. */
  recycled: number
  crashed: number
  /** Workers that began as a spare. */
  claimedSpares: number
}

export interface Dispatcher {
  /**
   * The request through the (session, realm)'s worker, started if need be.
   * Coded errors carry their HTTP status (`statusCode`) and, for 503s, a
   * `retryAfter` in seconds.
   */
  dispatch (req: DispatchRequest): Promise<WorkerResponse>
  /** Stops every worker of a session (logout, expiry, destroy); resolves once they have stopped. */
  stopSession (sessionId: string, reason?: StopReason): Promise<void>
  /** The sessions that have a worker, starting or live: for checking them against the store. */
  sessions (): Promise<string[]>
  /**
   * Applies re-read realm definitions (SIGHUP). Rejects, changing nothing,
   * when they cannot run here.
   */
  reconfigure (realms: readonly WorkerRealm[]): Promise<ReconfigureSummary>
  /** Slots with a worker or a record (hibernated, in backoff), as operators see them: sessions by hash only. */
  workers (filter?: WorkerFilter): Promise<WorkerInfo[]>
  /** Stops, hibernates or restarts one slot's worker; SUP_ERR_NO_WORKER when the slot is unknown. */
  workerAction (target: WorkerTarget, action: WorkerAction): Promise<WorkerActionResult>
  /** Per realm: slots by state, queues, spares and counters since start (the status page, metrics). */
  status (): Promise<SupervisorStatus>
  /** Starts the slot's worker if it has none; resolves once it is ready, rejects with the reason it could not start. */
  startWorker (req: StartRequest): Promise<'live' | 'started'>
  close (): Promise<void>
}
