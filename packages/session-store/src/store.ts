// The data operations are the SDK's own (what ctx.store is): declared once, there. A type only:
// nothing of the worker-sdk is loaded by the store.
import type { SessionDataOps } from '@sessiond/worker-sdk'

/** A session as the store knows it. Times are milliseconds since the epoch. */
export interface SessionRecord {
  id: string
  user: string
  createdAt: number
  /** Absolute expiry. A store with an idle timeout also ends a session unused for that long. */
  expiresAt: number
}

/** A session as operators list it: its record and when it was last used. */
export interface SessionSummary extends SessionRecord {
  lastSeenAt: number
}

export interface ListOptions {
  /** Only this user's sessions. */
  user?: string
  offset?: number
  /** At most this many (default 100). */
  limit?: number
}

/** Locks waited for and given up on since the store opened: for metrics. */
export interface LockStats {
  /** Opens and writes that found the lock held and waited. */
  waits: number
  /** Seconds spent waiting, all waits together. */
  waitSeconds: number
  /** Waits that ended in STORE_ERR_LOCK_TIMEOUT. */
  timeouts: number
}

/** `r` never waits and reads committed data; `rw` takes the session's exclusive lock. */
export type LockMode = 'r' | 'rw'

/**
 * A worker's placement, carried by each data write it makes: the realm it
 * serves and the epoch it was placed under. A write whose epoch is lower
 * than the one stored for (session, realm) (the placement moved on, see
 * WorkerStateOptions) is refused with STORE_ERR_STALE_EPOCH in the same
 * atomic step as the write, so that two workers of one (session, realm)
 * never both write, even across a partition.
 */
export interface WriteFence {
  realm: string
  epoch: number
}

/** Options of a single data write (`put`, `remove`, `putAll`). */
export interface WriteOptions {
  /** The writing worker's placement: a stale one is refused (see WriteFence). */
  fence?: WriteFence
}

export interface OpenOptions {
  /** How long a `rw` open waits for another writer before STORE_ERR_LOCK_TIMEOUT; the store's default otherwise. */
  waitMs?: number
  /** The writing worker's placement: the handle's commits are fenced by it (see WriteFence). */
  fence?: WriteFence
}

/** Options of a write to a worker's saved state. */
export interface WorkerStateOptions {
  /**
   * The writer's placement epoch (fencing token). The write is refused with
   * STORE_ERR_STALE_EPOCH, in the same atomic step, when the state was last
   * written under a higher epoch; otherwise the state's epoch becomes this
   * one. Without it the write is not fenced and the stored epoch is kept.
   */
  epoch?: number
}

/**
 * One opened session, as the classic protocol's `open id r|rw` gives it.
 * In `rw` mode the handle holds the session's lock under a lease and a
 * fencing token: writes collect in the handle and reach the store
 * atomically at `commit` or `close`, and only while the token is still the
 * session's current one (else STORE_ERR_LOCK_LOST). Reads in `rw` see the
 * handle's own writes; reads in `r` see the last committed data.
 */
export interface SessionHandle extends SessionDataOps {
  /** The session id; changes after `regenerateId`. */
  readonly id: string
  readonly mode: LockMode
  /** When a `rw` handle's lease ends, in milliseconds since the epoch: its writes are refused from then on. 0 in `r`. */
  readonly leaseEnd: number
  /** Replaces all of the session's data. */
  putAll (data: Record<string, string>): Promise<void>
  /** Writes pending changes and releases the lock: rw → r. A no-op in `r`. */
  commit (): Promise<void>
  /** Commits (in `rw`) and ends the handle. */
  close (): Promise<void>
  /** Drops pending writes and the lock, and ends the handle: for a client that went away. */
  discard (): Promise<void>
  /** Ends the session everywhere; the handle is closed. */
  destroy (): Promise<void>
  /** Moves the session's data to a fresh id atomically; the old id is gone at once. */
  regenerateId (): Promise<string>
}

/**
 * The session store every backend implements. Operation names follow the
 * classic session-server protocol (`new`, `get`, `put`, `keys`, …).
 * Methods on a missing or expired session fail with STORE_ERR_NO_SESSION,
 * except `lookup`, which answers null, and `destroy`, which answers false.
 *
 * The methods that take an id are single operations: reads never wait and
 * see committed data; writes wait for the session's lock like a `rw` open,
 * apply, and release it, so they never interleave with a `rw` holder.
 */
export interface SessionStore {
  readonly kind: string
  /** `new`: a fresh session with a 256-bit random id. */
  create (user: string, ttlMs: number): Promise<SessionRecord>
  lookup (id: string): Promise<SessionRecord | null>
  /**
   * Live sessions, oldest first, with the total that matched: for the admin
   * API, never a request's path. A backend with many sessions answers in
   * time proportional to them (Redis reads each one's record).
   */
  list (opts?: ListOptions): Promise<{ total: number, sessions: SessionSummary[] }>
  lockStats (): LockStats
  /**
   * Marks the session used now, for idle expiry, without a write per call:
   * touches are batched and written together every `touchFlushMs`, before
   * a lookup of that session or a gc, and at close. Never fails; a session
   * that is gone is skipped. What the gateway calls on every request.
   */
  touch (id: string): void
  /** Writes the pending touches now; rejects (keeping them) when the backend cannot be reached. */
  flushTouches (): Promise<void>
  /** `open id r|rw`. */
  open (id: string, mode: LockMode, opts?: OpenOptions): Promise<SessionHandle>
  destroy (id: string): Promise<boolean>
  get (id: string, key: string): Promise<string | undefined>
  put (id: string, key: string, value: string, opts?: WriteOptions): Promise<void>
  remove (id: string, key: string, opts?: WriteOptions): Promise<void>
  exists (id: string, key: string): Promise<boolean>
  keys (id: string): Promise<string[]>
  getAll (id: string): Promise<Record<string, string>>
  putAll (id: string, data: Record<string, string>, opts?: WriteOptions): Promise<void>
  regenerateId (id: string): Promise<string>
  /**
   * A worker's saved state (hibernation) for one (session, realm), as JSON
   * text: a namespace of its own that `keys`, `getAll`, the HTTP API and
   * the line protocol never show and no client can write. It goes with the
   * session (destroy, expiry) and moves with it (regenerate_id). At most
   * MAX_WORKER_STATE_BYTES; saving it does not count as using the session.
   */
  saveWorkerState (id: string, realm: string, json: string, opts?: WorkerStateOptions): Promise<void>
  /** The state saved for (session, realm), or undefined. */
  loadWorkerState (id: string, realm: string): Promise<string | undefined>
  /** Drops the saved state (it was consumed); fenced like a save when `epoch` is given. */
  clearWorkerState (id: string, realm: string, opts?: WorkerStateOptions): Promise<void>
  /** Removes expired sessions and their data; answers how many. */
  gc (now?: number): Promise<number>
  /**
   * Calls `listener` once for every id that `destroy`, `regenerateId` (the
   * old id) or `gc` (expiry) ended, through any path (API, handle, HTTP,
   * line protocol): the daemon stops that session's workers. A store shared
   * by several hosts (redis) also reports the ids that the other hosts
   * ended. Answers a function that unsubscribes.
   */
  onSessionEnd (listener: (id: string) => void): () => void
  /**
   * Calls `listener` when the backend has lost sessions without an end for
   * each (a Redis restarted without persistence, a FLUSHALL): whoever holds
   * something per session (the daemon's workers) checks its sessions again
   * at once. Answers a function that unsubscribes.
   */
  onDataLost (listener: () => void): () => void
  /** Writes the pending touches, then closes. */
  close (): Promise<void>
}
