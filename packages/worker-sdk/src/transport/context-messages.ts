// The context kind's thread-level messages: types and their parse. A shared
// thread has one control port to the supervisor; each session on it gets a
// port of its own, handed over in `attach`, which then carries the same
// messages as a thread worker's port (messages.ts).
//
//   supervisor                                   shared thread
//                                ◀─────────────── booted {threadId} (bundle compiled, request path warm)
//   attach {port, slot} ─────────────────────────▶ a new context, the bundle run in it; the session port
//                                                  then speaks messages.ts (booted, claim, ready, …, stopped)
//   ping {id}                    ───────────────▶ (is the event loop turning?)
//                                ◀─────────────── pong {id}
//
// `slot` is the session's number on this thread: the thread writes the slot
// whose code it is running into a shared Int32Array (`running`), so that when
// it stops answering the supervisor can tell which session hung it.
import type { MessagePort } from 'node:worker_threads'
import { ProtocolError } from './parse.ts'

/** What the supervisor hands a shared thread as its one long-running task. */
export interface ContextThreadTask {
  version: number
  port: MessagePort
  /** The realm's handler bundled into one CommonJS script (the supervisor's esbuild build). */
  code: string
  /** The handler module's path: the script's name in stack traces, `__filename` in the bundle. */
  filename: string
  realm: string
  logLevel: string
  /** Int32Array(1) over shared memory: the slot of the session whose code runs now (0: none). */
  running: SharedArrayBuffer
}

export interface AttachMessage { t: 'attach', port: MessagePort, slot: number }
export interface PingMessage { t: 'ping', id: number }
export interface ThreadBootedMessage { t: 'booted', threadId: number }
export interface PongMessage { t: 'pong', id: number }

export type ToContextThread = AttachMessage | PingMessage
export type FromContextThread = ThreadBootedMessage | PongMessage

const TO_THREAD: Record<ToContextThread['t'], true> = { attach: true, ping: true }
const FROM_THREAD: Record<FromContextThread['t'], true> = { booted: true, pong: true }

function check (m: unknown, table: Record<string, true>): string {
  const t = typeof m === 'object' && m !== null ? (m as { t?: unknown }).t : undefined
  if (typeof t !== 'string' || !Object.hasOwn(table, t)) throw new ProtocolError(`unexpected thread message ${String(t)}`)
  return t
}

export function parseToContextThread (m: unknown): ToContextThread {
  const t = check(m, TO_THREAD)
  if (t === 'attach' && typeof (m as AttachMessage).slot !== 'number') throw new ProtocolError('attach without a slot')
  return m as ToContextThread
}

export function parseFromContextThread (m: unknown): FromContextThread {
  check(m, FROM_THREAD)
  return m as FromContextThread
}
