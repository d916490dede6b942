import { applyDelta, isEmptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { NoSessionError } from './errors.ts'
import { compareKeys } from './key-order.ts'
import { checkKey } from './limits.ts'
import { checkLock } from './locking-backend.ts'
import type { Busy } from './locking-backend.ts'
import { LockingStore } from './locking-store.ts'
import { newSessionId } from './session-id.ts'
import type { SessionRecord, SessionSummary, WriteFence } from './store.ts'
import { checkWriteFence, fencedEpoch } from './worker-state.ts'

interface Entry {
  record: SessionRecord
  data: Map<string, string>
  /** Worker state by realm: apart from `data`, so no data call ever sees it. */
  states: Map<string, { json: string | null, epoch: number }>
  lastSeen: number
  fence: number
  lock: { token: number, until: number } | null
}

/**
 * Sessions in this process's memory: for tests and throwaway daemons. Every
 * atomic step is one synchronous turn of the event loop.
 */
export class MemoryStore extends LockingStore {
  readonly kind = 'memory'
  #sessions = new Map<string, Entry>()

  #alive (e: Entry | undefined, now: number): e is Entry {
    return e !== undefined && e.record.expiresAt > now && e.lastSeen > this.idleCut(now)
  }

  #live (id: string): Entry {
    const e = this.#sessions.get(id)
    if (!this.#alive(e, Date.now())) throw new NoSessionError()
    return e
  }

  async create (user: string, ttlMs: number): Promise<SessionRecord> {
    const now = Date.now()
    const record = { id: newSessionId(), user, createdAt: now, expiresAt: now + ttlMs }
    this.#sessions.set(record.id, { record, data: new Map(), states: new Map(), lastSeen: now, fence: 0, lock: null })
    return { ...record }
  }

  protected async listStep (user: string | undefined, now: number): Promise<SessionSummary[]> {
    const out: SessionSummary[] = []
    for (const e of this.#sessions.values()) {
      if (this.#alive(e, now) && (user === undefined || e.record.user === user)) out.push({ ...e.record, lastSeenAt: e.lastSeen })
    }
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  protected async lookupStep (id: string): Promise<SessionRecord | null> {
    const e = this.#sessions.get(id)
    return this.#alive(e, Date.now()) ? { ...e.record } : null
  }

  protected async destroyStep (id: string): Promise<boolean> {
    return this.#sessions.delete(id)
  }

  protected async touchStep (seen: ReadonlyMap<string, number>): Promise<void> {
    for (const [id, at] of seen) {
      const e = this.#sessions.get(id)
      // Alive when it was touched: the touch is what kept it alive since.
      if (this.#alive(e, at) && at > e.lastSeen) e.lastSeen = at
    }
  }

  async tryLock (id: string, leaseMs: number): Promise<number | Busy> {
    const e = this.#live(id)
    const now = Date.now()
    const busy = checkLock(e.lock, null, null, now)
    if (busy !== 'ok') return busy as Busy
    e.lastSeen = now
    e.lock = { token: ++e.fence, until: now + leaseMs }
    return e.lock.token
  }

  protected async applyStep (id: string, token: number | null, delta: DataDelta, release: boolean, fence: WriteFence | undefined): Promise<Busy | null> {
    const e = this.#live(id)
    const now = Date.now()
    if (!isEmptyDelta(delta)) checkWriteFence(fence === undefined ? 0 : e.states.get(fence.realm)?.epoch ?? 0, fence)
    const g = checkLock(e.lock, token, delta, now)
    if (g === 'lost') return null
    if (g !== 'ok') return g
    applyDelta(e.data, delta)
    e.lastSeen = now
    if (release && token !== null) e.lock = null
    return null
  }

  protected async moveStep (id: string, token: number | null): Promise<string | Busy> {
    const e = this.#live(id)
    const g = checkLock(e.lock, token, null, Date.now())
    if (g !== 'ok') return g as Busy
    const fresh = newSessionId()
    this.#sessions.delete(id)
    e.record = { ...e.record, id: fresh }
    this.#sessions.set(fresh, e)
    return fresh
  }

  async get (id: string, key: string): Promise<string | undefined> {
    checkKey(key)
    return this.#live(id).data.get(key)
  }

  async exists (id: string, key: string): Promise<boolean> {
    checkKey(key)
    return this.#live(id).data.has(key)
  }

  async keys (id: string): Promise<string[]> {
    return [...this.#live(id).data.keys()].sort(compareKeys)
  }

  async getAll (id: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.#live(id).data)
  }

  protected async workerStateStep (id: string, realm: string, json: string | null, epoch: number | undefined): Promise<void> {
    const states = this.#live(id).states
    const stored = states.get(realm)
    const next = fencedEpoch(stored?.epoch ?? 0, epoch)
    // A drop keeps a non-zero epoch behind, so that a stale save after it is still refused.
    if (json === null && next === 0) states.delete(realm)
    else states.set(realm, { json, epoch: next })
  }

  protected async loadWorkerStateStep (id: string, realm: string): Promise<string | undefined> {
    return this.#live(id).states.get(realm)?.json ?? undefined
  }

  protected async gcStep (now: number): Promise<string[]> {
    const gone: string[] = []
    for (const [id, e] of this.#sessions) {
      if (!this.#alive(e, now)) {
        this.#sessions.delete(id)
        gone.push(id)
      }
    }
    return gone
  }

  protected async closeStep (): Promise<void> {
    this.#sessions.clear()
  }
}
