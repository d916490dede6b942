import type { Readable } from 'node:stream'
import type { StopReason } from '@sessiond/worker-sdk/transport'

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

/** What every worker kind offers the supervisor. */
export interface WorkerInstance {
  readonly inFlight: number
  /** When the worker last started or finished an exchange (ms, monotonic enough: Date.now()). */
  readonly lastActivity: number
  request (req: WorkerRequest): Promise<WorkerResponse>
  /** Stops the worker; answers what its handler's `hibernate` returned, when it ran. */
  stop (reason: StopReason): Promise<Hibernated | undefined>
}

/** State a handler handed over at an idle stop or shutdown, for `resume` next time. */
export interface Hibernated {
  state: unknown
}

export interface Identity {
  sessionId: string
  user: string
}
