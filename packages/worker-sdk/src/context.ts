import type { Logger } from 'pino'

/**
 * This session's key/value data in the session store. Values are strings;
 * store JSON when you need structure.
 */
export interface SessionData {
  get (key: string): Promise<string | undefined>
  put (key: string, value: string): Promise<void>
  remove (key: string): Promise<void>
  keys (): Promise<string[]>
  getAll (): Promise<Record<string, string>>
  exists (key: string): Promise<boolean>
}

/** What a handler gets with every call: who, where, and the session's tools. */
export interface HandlerContext {
  /** The session id. Never log it; `log` is already bound to a short hash of it. */
  readonly sessionId: string
  readonly user: string
  readonly realm: string
  readonly store: SessionData
  readonly log: Logger
  /** Aborts when the worker is being stopped (idle, logout, shutdown). */
  readonly signal: AbortSignal
}
