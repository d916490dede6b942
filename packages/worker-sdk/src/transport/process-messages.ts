// A process worker's control channel: Node's IPC pipe beside its HTTP socket.
// Requests never travel here; only the lifecycle does.
//
//   supervisor                                   process worker
//                                ◀─────────────── booted (runtime up; handler loaded if it may be)
//   claim {env, cwd, runAs?, resume?} ──────────▶ (a spare waits here for its session)
//                                ◀─────────────── ready (listening on its socket)
//   checkpoint                   ───────────────▶ (hibernate without stopping)
//                                ◀─────────────── checkpointed {hibernated? | error?}
//   stop {reason}                ───────────────▶
//                                ◀─────────────── hibernated {state} (when asked to and it can)
//                                                  … exit 0
import type { StopReason } from './messages.ts'

export interface ProcessClaim {
  t: 'claim'
  /** The session's variables, per the exec contract: SESSIOND_SESSION_ID, SESSIOND_SOCKET or PORT, … */
  env: Record<string, string>
  /** The worker's private directory. */
  cwd: string
  /**
   * The account to become before any handler code loads: with its
   * supplementary groups when it has a name, with none for a transient uid.
   */
  runAs?: { user?: string, uid: number, gid: number, home: string }
  resume?: { state: unknown }
}

export interface ProcessStop { t: 'stop', reason: StopReason }
export interface ProcessCheckpoint { t: 'checkpoint' }
export type ToProcess = ProcessClaim | ProcessStop | ProcessCheckpoint

export type FromProcess =
  | { t: 'booted' }
  | { t: 'ready' }
  | { t: 'hibernated', state: unknown }
  /** A checkpoint's answer: no state when the handler has no `hibernate`, an error's message when it failed. */
  | { t: 'checkpointed', hibernated?: { state: unknown }, error?: string }
