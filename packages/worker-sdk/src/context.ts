import type { Logger } from 'pino'
import type { UpgradeOptions, WebSocketUpgrade } from './session-sockets.ts'
import type { WorkerWebSocket } from './web-socket.ts'

/**
 * The six data operations on one session's key/value map, however it is
 * reached: a session-store handle, the store's HTTP API, a thread's port.
 * Values are strings; store JSON when you need structure.
 */
export interface SessionDataOps {
  get (key: string): Promise<string | undefined>
  put (key: string, value: string): Promise<void>
  remove (key: string): Promise<void>
  exists (key: string): Promise<boolean>
  keys (): Promise<string[]>
  getAll (): Promise<Record<string, string>>
}

/**
 * This session's key/value data in the session store: what `ctx.store` is
 * in every worker kind.
 *
 * Each call is a single operation until `open`: reads see committed data
 * and never wait, writes wait for the session's lock, apply, and let go.
 * `open('rw')` takes the lock (other workers, hosts and clients wait) until
 * `commit()`; writes made in between reach the store together at commit,
 * and are refused if the lock's lease ran out first (STORE_ERR_LOCK_LOST).
 *
 * @example
 * await ctx.store.open('rw')
 * const n = Number(await ctx.store.get('visits') ?? 0)
 * await ctx.store.put('visits', String(n + 1))
 * await ctx.store.commit()
 */
export interface SessionData extends SessionDataOps {
  /** Opens this session `r` (read-only) or `rw` (exclusive lock: a second `rw`, even from this worker, waits for the first's commit). */
  open (mode: 'r' | 'rw'): Promise<void>
  /** Writes what was put since `open('rw')` and releases the lock. */
  commit (): Promise<void>
}

/**
 * Every method of SessionData with its number of arguments, checked against
 * the interface by the compiler: the thread port's store calls are checked
 * against it (transport/parse.ts), and a store that answers every call
 * (unavailableStore) is built from it, so a method added to SessionData is
 * one every kind carries.
 */
export const SESSION_DATA_ARITY = {
  get: 1, put: 2, remove: 1, exists: 1, keys: 0, getAll: 0, open: 1, commit: 0
} as const satisfies { readonly [K in keyof SessionData]: Parameters<SessionData[K]>['length'] }

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
  /**
   * Takes a WebSocket upgrade request (`Upgrade: websocket`): return
   * `response` from `fetch` and talk on `socket`. The gateway terminates the
   * client's connection and relays its messages, with backpressure both ways.
   *
   * When the worker hibernates, its sockets stay open at the gateway. The
   * next message on one of them resumes the worker, and each socket is
   * offered again through `fetch` as its original upgrade request: calling
   * `upgradeWebSocket` then hands back the same connection, already open
   * (no new handshake reaches the client), with the value it kept through
   * `socket.serializeAttachment`. The message that woke the worker follows.
   *
   * @example
   * fetch (request, ctx) {
   *   if (request.headers.get('upgrade') !== 'websocket') return new Response('a chat socket lives here')
   *   const { socket, response } = ctx.upgradeWebSocket(request)
   *   const name = (socket.deserializeAttachment() as { name?: string } | null)?.name ?? ctx.user
   *   socket.serializeAttachment({ name })
   *   socket.addEventListener('message', (e) => { for (const s of ctx.getWebSockets()) s.send(`${name}: ${e.data}`) })
   *   return response
   * }
   */
  upgradeWebSocket (request: Request, options?: UpgradeOptions): WebSocketUpgrade
  /** The WebSockets open on this worker now, those offered again after hibernation included. */
  getWebSockets (): WorkerWebSocket[]
}
