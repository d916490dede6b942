// The thread transport's messages: types only. One MessagePort per worker
// (per session, for a thread that serves several) carries every exchange of
// that worker, multiplexed by `id`: the supervisor numbers requests, the
// worker numbers its store calls. An id is either a request/response
// exchange or, once the worker accepts an upgrade, a socket channel. Bodies
// and socket frames flow under a per-stream, per-direction window that the
// receiver acknowledges with `ack`.
//
//   supervisor                                   worker
//                                ◀─────────────── booted (handler module loaded)
//   claim {session, user, resume?} ─────────────▶ (a spare waits here for its session)
//                                ◀─────────────── ready (start/resume done)
//   req {id, head, body?, more} ───────────────▶
//   chunk {id} … end {id}        ───────────────▶ (request body, if more)
//                                ◀─────────────── ack {id, bytes}
//                                ◀─────────────── res {id, status, headers, body?, more}
//                                ◀─────────────── chunk {id} … end {id}
//   ack {id, bytes}              ───────────────▶
//   abort {id}                   ───────────────▶ (client went away)
//                                ◀─────────────── error {id, error}
//                                ◀─────────────── store {id, op, args}
//   store-result {id, …}         ───────────────▶
//   checkpoint                   ───────────────▶ (hibernate without stopping: a periodic save)
//                                ◀─────────────── checkpointed {hibernated? | error?}
//   stop {reason}                ───────────────▶ (a thread worker answers by ending its task…)
//                                ◀─────────────── stopped {hibernated? | error?} (…a session on a shared thread with this)
//
// A socket channel (an upgraded connection: a WebSocket relayed by the gateway):
//   req {id, head, upgrade: true} ──────────────▶ (the handler may accept it)
//                                ◀─────────────── open {id, headers}  (accepted: id is a socket now)
//                                ◀─────────────── res | error {id}    (refused: an ordinary answer)
//   frame {id, data}             ◀──────────────▶ text (string) or binary (Uint8Array), windowed
//   ack {id, bytes}              ◀──────────────▶
//   close {id, code, reason}     ◀──────────────▶ closing handshake: the receiver answers with its own close
//   abort {id, error?}           ◀──────────────▶ either side ends it at once
//                                ◀─────────────── close {id, code, reason, park} (hibernating: the gateway keeps
//                                                 the client's socket open, with the attachment, for the next worker)
//   req {id, head, upgrade, resumed: {attachment}} ▶ that socket offered again to the worker that resumed

import type { SessionData } from '../context.ts'

/** The version both ends must speak; a ThreadTask carries it (see protocol-version.ts). */
export type ProtocolVersion = 3

/** Headers as a flat list `[name, value, name, value, …]`: cheaper to clone than pairs. */
export type HeaderList = string[]

export interface EncodedError {
  code: string
  message: string
  statusCode: number
}

export interface RequestMessage {
  t: 'req'
  id: number
  method: string
  url: string
  headers: HeaderList
  /** The whole body when it is already known (`more: false`), else its first part or null. */
  body: Uint8Array | null
  more: boolean
  /** An upgrade request (WebSocket): the worker answers `open` to take it as a socket channel. */
  upgrade?: true
  /** A socket that stayed open while its worker hibernated, offered again with the attachment it was parked with. */
  resumed?: Parked
}

/** What a parked socket keeps while no worker holds it: the handler's attachment (structured-cloneable, small). */
export interface Parked { attachment: unknown }

export interface ResponseMessage {
  t: 'res'
  id: number
  status: number
  headers: HeaderList
  body: Uint8Array | null
  more: boolean
}

export interface ChunkMessage { t: 'chunk', id: number, chunk: Uint8Array }
export interface EndMessage { t: 'end', id: number }
export interface AckMessage { t: 'ack', id: number, bytes: number }
/** From the supervisor: the client went away. On a socket channel, from either side, with the reason. */
export interface AbortMessage { t: 'abort', id: number, error?: EncodedError }
export interface ErrorMessage { t: 'error', id: number, error: EncodedError }
export interface StopMessage { t: 'stop', reason: StopReason }
export interface ReadyMessage { t: 'ready' }
export interface BootedMessage { t: 'booted' }
/** Asks for the handler's state without stopping (a realm's `checkpoint`). */
export interface CheckpointMessage { t: 'checkpoint' }
/** What `hibernate` returned (nothing when the handler has none), or why it failed. */
export interface CheckpointedMessage { t: 'checkpointed', hibernated?: { state: unknown }, error?: EncodedError }
/**
 * A session on a shared thread (the context kind) has ended: asked to
 * (`stop`), or on its own, with `error` (its start failed, or its code
 * threw where nobody caught it). A thread worker's task result says the same.
 */
export interface StoppedMessage { t: 'stopped', stopped: StopReason, hibernated?: { state: unknown }, error?: EncodedError }

/** The worker took an upgrade request as a socket channel; `headers` go into the 101 answer. */
export interface OpenMessage { t: 'open', id: number, headers: HeaderList }
/** One message of a socket channel: text as a string, binary as bytes. */
export interface FrameMessage { t: 'frame', id: number, data: string | Uint8Array }
/**
 * Ends a socket channel's sending side; the peer answers with its own close and the id is free.
 * With `park`, from a worker that hibernates: the connection behind the channel stays open.
 */
export interface CloseMessage {
  t: 'close'
  id: number
  code: number
  reason: string
  park?: Parked
  /**
   * With `park`, from an end that relays another channel (a supervisor host
   * relaying its worker's socket to a gateway): frames the worker never got,
   * which go to the next worker before the receiver's own held ones.
   */
  unsent?: Array<string | Uint8Array>
}

/** Hands a booted worker its session: until this, it serves nobody. */
export interface ClaimMessage {
  t: 'claim'
  sessionId: string
  sessionHash: string
  user: string
  /** Present when the worker resumes from saved state instead of starting cold. */
  resume?: { state: unknown }
}

/**
 * `replaced`: a reload changed the realm's definition, or the worker reached its maximum lifetime.
 * `moved`: its session goes on on another host (a drain or a migration).
 */
export type StopReason = 'idle' | 'logout' | 'shutdown' | 'crash' | 'replaced' | 'moved'

/** A store call is a method of ctx.store's interface (SessionData), never anything else: release stays with the supervisor. parse.ts checks calls against SESSION_DATA_ARITY. */
export type StoreOp = keyof SessionData

export interface StoreCallMessage { t: 'store', id: number, op: StoreOp, args: string[] }
export interface StoreResultMessage { t: 'store-result', id: number, value?: unknown, error?: EncodedError }

/** The lifecycle messages, apart from the exchanges. */
export type ControlToWorker = ClaimMessage | StopMessage | CheckpointMessage
export type ControlFromWorker = BootedMessage | ReadyMessage | CheckpointedMessage | StoppedMessage

/** What flows on a stream id in both directions: a body or a socket channel. */
export type StreamMessage = ChunkMessage | EndMessage | AckMessage | AbortMessage | FrameMessage | CloseMessage

export type ToWorker = ControlToWorker | RequestMessage | StreamMessage | StoreResultMessage
export type FromWorker = ControlFromWorker | ResponseMessage | ErrorMessage | OpenMessage | StreamMessage | StoreCallMessage

/** What the supervisor hands the thread runtime as its one long-running task. */
export interface ThreadTask {
  version: number
  port: MessagePort | import('node:worker_threads').MessagePort
  handler: string
  realm: string
  logLevel: string
  /** Booted ahead of any session: worth warming its request path while it waits. */
  spare?: boolean
}

/** What that task resolves with when the worker stops. */
export interface ThreadTaskResult {
  stopped: StopReason
  /** What `hibernate` returned, when it was asked to (idle stop, shutdown, replacement). */
  hibernated?: { state: unknown }
}
