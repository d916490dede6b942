// What the supervisor knows of a worker kind: one interface, one file per
// kind beside this one. The supervisor holds the table, admission and the
// lifecycle; everything that differs between kinds (how a worker is booted,
// handed its session, reached, stopped) lives behind WorkerKind and Worker.
//
//   supervisor ── check(realm) at start and reload
//              ── sync(realms) at start and reload, close() at the end (kinds with resources shared by workers)
//              ── boot(realm) ─────────▶ Worker (a spare: no session yet; kinds with `boot` only)
//              ── start(realm, session, spare?) ─▶ Worker serving one (session, realm)
//   Worker     ── request / upgrade / stop(reason) → hibernated state / checkpoint() → state / describe()
import type { Logger } from 'pino'
import type { SessionStore, WriteFence } from '@sessiond/session-store'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { ChildRegistry } from '../child-registry.ts'
import type { KernelMemoryLimits } from '../kernel-memory-limit.ts'
import type { TransientAccounts } from '../transient-accounts.ts'
import type { WorkerRealm } from '../config.ts'
import type { DispatchUpgrade, Identity, UpgradeResult, WorkerRequest, WorkerResponse } from '../dispatcher.ts'

/** State a handler handed over at an idle stop or shutdown, for `resume` next time. */
export interface Hibernated {
  state: unknown
}

/** What an operator sees of one worker, whatever its kind: known without asking the worker anything. */
export interface WorkerDescription {
  kind: string
  /** The worker's process (process, exec). */
  pid?: number
  /** The worker's thread id in the daemon (thread). */
  threadId?: number
  /** The account it runs as: the daemon's for a thread, the runAs account for a child. */
  uid?: number
  gid?: number
}

/**
 * What a worker costs now, measured when asked (an admin view, never a
 * request): null where the kind cannot tell it apart from the daemon's
 * (a thread's resident memory is the daemon's).
 */
export interface WorkerUsage {
  /** Resident memory of the worker's process tree (process, exec). */
  rssBytes: number | null
  /** V8 heap in use (thread). */
  heapUsedBytes: number | null
  /** CPU time, user + system: the thread's own, or the process's and its waited-for children's. */
  cpuSeconds: number | null
  /**
   * Open sockets: a child's socket descriptors. For SDK kinds the supervisor
   * reports the WebSockets open to the worker (`Worker.sockets`) instead.
   */
  openSockets: number | null
}

/** A WebSocket handshake as it reaches a worker. */
export type WorkerUpgrade = Omit<DispatchUpgrade, 'identity' | 'realm'>

/** One worker, whatever its kind. */
export interface Worker {
  readonly inFlight: number
  /**
   * When the worker last started or finished an exchange, or a message of
   * one of its sockets went either way (ms, Date.now()). Pings never reach
   * a worker (the gateway answers them), so they are no activity.
   */
  readonly lastActivity: number
  /** Its open sockets: while there are any, the realm's `socketIdleTimeout` applies. */
  readonly sockets: number
  request (req: WorkerRequest): Promise<WorkerResponse>
  /**
   * Offers the worker a WebSocket handshake. Kinds on the SDK's transport
   * (thread, process, context) answer a `socket` (its messages relayed over
   * the transport, under its window) or `refused`; `resumed` offers a socket
   * that stayed open while the worker hibernated, which the runtime hands
   * the handler through `fetch` again. At a hibernating stop the runtime
   * parks its sockets (the channel closes with `parked`), else closes them
   * with STOP_CLOSE_CODES. exec answers a `tunnel` of bytes, and closes its
   * tunnels with STOP_CLOSE_CODES when it stops.
   */
  upgrade (req: WorkerUpgrade): Promise<UpgradeResult>
  /** Stops the worker; answers what its handler's `hibernate` returned, when it ran. */
  stop (reason: StopReason): Promise<Hibernated | undefined>
  describe (): WorkerDescription
  /** Measures the worker now; answers nulls for what it cannot measure, never fails. */
  usage (): Promise<WorkerUsage>
  /**
   * The handler's state while it goes on serving (`hibernate` without the
   * stop), for the realm's `checkpoint`; undefined when it has none. Kinds
   * that can ask a running handler for it have it.
   */
  checkpoint?: () => Promise<Hibernated | undefined>
  /**
   * Ends the worker at once for using more memory than its realm allows; its
   * requests fail with SUP_ERR_WORKER_MEMORY. Only workers whose memory can
   * be measured from outside (a process tree) have it.
   */
  killForMemory?: (rssMb: number) => void
  /** Whether the kernel's OOM killer acted in the worker's memory cgroup: it went over its limit. */
  kernelOomKilled?: () => boolean
}

/** The store HTTP API for one worker of a session. */
export interface StoreAccess {
  /** With a token for that session, naming that worker as the holder of the locks it takes. */
  url: string
  /** Once the worker is gone: the locks its token holds are dropped at once, not at the end of their lease. */
  release (): void
}

/** What the supervisor lends every kind. */
export interface KindHost {
  store: SessionStore
  /** The directory (mode 0711) holding the workers' private directories. */
  runDir (): Promise<string>
  /** One worker's way to its session's data from outside the daemon's process; its writes carry `fence` when given. */
  storeAccess (sessionId: string, fence?: WriteFence): StoreAccess | undefined
  /** The daemon's log level, for runtimes that make their own logger. */
  logLevel: string
  /** The supervisor's logger, for what a kind does apart from any one worker (its shared threads). */
  logger: Logger
  /** Where workers with `runAs: transient` get their uids. */
  transientAccounts: TransientAccounts
  /** Where child workers' process groups are recorded, for the next supervisor after a crash. */
  children: ChildRegistry | null
  /** Where the kernel holds child workers to their realm's maxRssMb, when the machine allows. */
  memoryLimits: KernelMemoryLimits
}

/** Booting a worker ahead of any session (a spare). */
export interface BootOptions {
  logger: Logger
  /** Called once if the worker ends without being asked to stop; `start` replaces it. */
  onExit: (err: Error) => void
}

/** Handing a worker its session. */
export interface SessionStart {
  identity: Identity
  /** Bound to the realm and the session's hash. */
  logger: Logger
  /** Called once if the worker ends without being asked to stop. */
  onExit: (err: Error) => void
  /** Saved state to resume from instead of a cold start (kinds that hibernate). */
  resume?: Hibernated
  /** In a cluster, the placement the worker serves: every store write it makes carries it. */
  fence?: WriteFence
}

export interface WorkerKind {
  readonly name: string
  /** Whether `hibernate`/`resume` apply: the supervisor then saves and loads the state. */
  readonly hibernates: boolean
  /**
   * Problems with a realm of this kind, as `[key, what was expected]` pairs
   * for the config loader to report with the file and the realm's path.
   */
  validate (realm: WorkerRealm): Array<[key: string, expected: string]>
  /** Throws a coded error when the realm cannot run on this host as it is (runAs without root). */
  check (realm: WorkerRealm): void
  /** A worker booted without a session, for a spare pool; kinds without it cannot have spares. */
  boot?: (realm: WorkerRealm, host: KindHost, opts: BootOptions) => Promise<Worker>
  /** A worker for one session: the spare claimed when one is given, else booted now. */
  start (realm: WorkerRealm, host: KindHost, session: SessionStart, spare?: Worker): Promise<Worker>
  /**
   * Kinds whose workers share resources (the context kind's threads) learn
   * the current definitions of their realms at start and at every reload:
   * they may prepare for these and let go of what served older definitions
   * once no worker of those is left.
   */
  sync?: (realms: readonly WorkerRealm[], host: KindHost) => void
  /** Releases what `sync` kept, once every worker of the kind has stopped (the supervisor closing). */
  close?: (host: KindHost) => Promise<void>
}
