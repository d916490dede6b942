// The thread transport's messages: types only. One MessagePort per worker
// carries every request of that worker, multiplexed by `id`; bodies flow as
// `chunk` messages under a per-stream window acknowledged with `ack`.
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
//   stop {reason}                ───────────────▶ (worker answers by ending its task)

import { SESSION_DATA_ARITY } from '../context.ts'
import type { SessionData } from '../context.ts'

export const PROTOCOL_VERSION = 2

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
}

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
export interface AbortMessage { t: 'abort', id: number }
export interface ErrorMessage { t: 'error', id: number, error: EncodedError }
export interface StopMessage { t: 'stop', reason: StopReason }
export interface ReadyMessage { t: 'ready' }
export interface BootedMessage { t: 'booted' }

/** Hands a booted worker its session: until this, it serves nobody. */
export interface ClaimMessage {
  t: 'claim'
  sessionId: string
  sessionHash: string
  user: string
  /** Present when the worker resumes from saved state instead of starting cold. */
  resume?: { state: unknown }
}

/** `replaced`: a reload changed the realm's definition, or the worker reached its maximum lifetime. */
export type StopReason = 'idle' | 'logout' | 'shutdown' | 'crash' | 'replaced'

/** A store call is a method of ctx.store's interface, never anything else (release stays with the supervisor). */
export type StoreOp = keyof SessionData
export const STORE_OPS = Object.keys(SESSION_DATA_ARITY) as readonly StoreOp[]

export interface StoreCallMessage { t: 'store', id: number, op: StoreOp, args: string[] }
export interface StoreResultMessage { t: 'store-result', id: number, value?: unknown, error?: EncodedError }

export type ToWorker = ClaimMessage | RequestMessage | ChunkMessage | EndMessage | AckMessage | AbortMessage | StopMessage | StoreResultMessage
export type FromWorker = BootedMessage | ReadyMessage | ResponseMessage | ChunkMessage | EndMessage | AckMessage | ErrorMessage | StoreCallMessage

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

/** Stops before which a handler's `hibernate` runs: the session goes on, its worker pauses. */
export const HIBERNATING_STOPS: ReadonlySet<StopReason> = new Set(['idle', 'shutdown', 'replaced'])
