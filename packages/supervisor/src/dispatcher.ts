// The seam between a gateway and the supervisor that owns a session's
// workers, modelled on undici's Dispatcher: requests and answers are plain
// data plus body streams, so that one implementation is a function call
// into the embedded supervisor (supervisor.ts) and another can carry the
// same calls over HTTP to a supervisor on another host.
//
//   gateway ── dispatch({ identity, realm, head, body }) ──▶ Dispatcher ──▶ worker
//           ◀──────────── { status, headers, body } ───────────────┘
//           ── upgrade({ identity, realm, head, resumed? }) ──▶ (a WebSocket handshake)
//           ◀── refused { response } | socket { messages both ways } | tunnel { bytes both ways }
//           ── stopSession / sessions / reconfigure ──▶ (the same seam)
//           ── workers / workerAction / status / startWorker ──▶ what operators see and do (operator-views.ts)
//           ── hosts / placement / drain / migrate ──▶ (where workers live: one
//              host for the embedded supervisor, several in a cluster)
//
// An upgrade is data plus streams too: a `socket` is a stream of messages
// (text or bytes) each way with a close code, which a remote dispatcher
// carries over its own connection as stream-port.ts carries it to a child;
// a `tunnel` is a byte stream each way.
//
// Implementations: Supervisor (embedded, supervisor.ts); in a cluster
// (cluster/): ClusterSupervisor on each supervisor host, RemoteSupervisor
// carrying every call to one of them over HTTP, and ClusterDispatcher in
// each gateway, routing by the placement directory.
import type { Duplex, Readable } from 'node:stream'
import type { Parked, SocketChannel, StopReason } from '@sessiond/worker-sdk/transport'
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
  /**
   * In a cluster, the placement epoch the gateway routed by: a supervisor
   * serves the request only with a worker placed under that epoch, and
   * answers a stale one with 421 SUP_ERR_STALE_EPOCH. Absent for the embedded supervisor.
   */
  epoch?: number
  /** The request's id, for the supervisor's log lines. */
  requestId?: string
  /** When the gateway gives up on the answer (ms since the epoch): a supervisor need not work past it. */
  deadline?: number
}

/** A worker to start for a (session, realm) without a request: a page that follows a slow start asks for it. */
export interface StartRequest {
  identity: Identity
  realm: string
  /** In a cluster, the placement epoch the gateway routed by, as for a dispatch. */
  epoch?: number
}

/** A WebSocket handshake for one (session, realm): no body. */
export interface DispatchUpgrade extends Omit<DispatchRequest, 'body'> {
  /** A socket the gateway kept open while its worker hibernated, offered again with what it was parked with. */
  resumed?: Parked
  /** Bytes of the worker's messages that may wait for a slow client; past them the socket closes with 1013. */
  sendBuffer: number
}

/**
 * A WebSocket the worker took, as the gateway relays it to the client:
 * messages both ways, each direction under a window (`send` answers false
 * once the worker has a window's worth to read: wait for 'drain'; `pause`
 * stops acknowledging what the worker sends). 'close' carries the code;
 * with `parked`, the worker hibernated and the client's socket stays open.
 */
export type WorkerSocket = Pick<SocketChannel, 'headers' | 'state' | 'send' | 'close' | 'abort' | 'pause' | 'resume' | 'on' | 'once' | 'off'>

export type UpgradeResult =
  /** The worker answered the handshake with an ordinary response. */
  | { type: 'refused', response: WorkerResponse }
  /** A worker of an SDK kind took it: the gateway completes the handshake and relays messages. */
  | { type: 'socket', socket: WorkerSocket }
  /** An exec worker answered 101 itself: its headers go to the client, then bytes flow both ways unchanged. */
  | { type: 'tunnel', headers: string[], stream: Duplex }

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

/** One supervisor host, as the dispatcher sees it. */
export interface HostInfo {
  host: string
  /** Where gateways reach it; empty for the embedded supervisor. */
  address: string
  /** How many workers it takes (0: no limit set). */
  capacity: number
  workers: number
  /** It takes no new sessions and gives away those it holds. */
  draining: boolean
  /** When its membership lease ends (ms, Redis's clock); 0 for the embedded supervisor, which has none. */
  leaseEnd: number
}

/** Where a (session, realm) lives. */
export interface PlacementInfo {
  host: string
  /** Rises on every move; 0 for the embedded supervisor. */
  epoch: number
}

export interface DrainOptions {
  /** How long the drain may take (ms); workers not moved by then stay where they are. Default 60 s. */
  deadlineMs?: number
}

export interface DrainSummary {
  host: string
  /** Workers hibernated on the host and moved to another. */
  moved: number
  /** Workers that could not be moved (no other host, deadline): still on the host. */
  failed: number
}

export interface Dispatcher {
  /**
   * The request through the (session, realm)'s worker, started if need be.
   * Coded errors carry their HTTP status (`statusCode`) and, for 503s, a
   * `retryAfter` in seconds.
   */
  dispatch (req: DispatchRequest): Promise<WorkerResponse>
  /**
   * A WebSocket handshake through the (session, realm)'s worker, started
   * (or resumed) if need be, with the same admission and errors as
   * `dispatch`.
   */
  upgrade (req: DispatchUpgrade): Promise<UpgradeResult>
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
  /** The supervisor hosts and what each holds: one for the embedded supervisor. */
  hosts (): Promise<HostInfo[]>
  /** Where the (session, realm)'s worker lives or would resume; null when it has no place yet. */
  placement (sessionId: string, realm: string): Promise<PlacementInfo | null>
  /**
   * Moves every worker of `host` to other hosts (each hibernates, its
   * placement moves with a new epoch, and requests arriving meanwhile wait
   * at the gateway for the new host); the host takes no new sessions
   * afterwards and can then stop. SUP_ERR_NOT_CLUSTERED for the embedded supervisor.
   */
  drain (host: string, opts?: DrainOptions): Promise<DrainSummary>
  /**
   * Moves one (session, realm) to `toHost` as a drain moves each: thread
   * and process workers hibernate and resume there; an exec worker is
   * stopped and started afresh there. Answers the new placement.
   */
  migrate (sessionId: string, realm: string, toHost: string): Promise<PlacementInfo>
  close (): Promise<void>
}
