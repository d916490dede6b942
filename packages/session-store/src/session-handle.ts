import { applyDelta, emptyDelta } from './data-delta.ts'
import type { DataDelta } from './data-delta.ts'
import { HandleClosedError, LockLostError, ReadOnlyError } from './errors.ts'
import { compareKeys } from './key-order.ts'
import { checkedEntries, checkKey, checkValue } from './limits.ts'
import type { LockingBackend } from './locking-backend.ts'
import type { LockMode, SessionHandle, SessionStore, WriteFence } from './store.ts'

/**
 * A session opened `r` or `rw` on any backend. In `rw`, writes collect in a
 * delta over the committed data (the lock guarantees nobody else changes
 * it meanwhile) and reach the store in one fenced step at commit.
 */
export class StoreSessionHandle implements SessionHandle {
  /** Its steps, and its waiting `regenerateId` for a handle that holds no lock. */
  #b: LockingBackend & Pick<SessionStore, 'regenerateId'>
  #id: string
  #mode: LockMode
  #token: number | null
  #leaseEnd: number
  #delta: DataDelta | null
  /** The writer's placement: every commit carries it (WriteFence). */
  #fence: WriteFence | undefined
  #closed = false

  constructor (backend: LockingBackend & Pick<SessionStore, 'regenerateId'>, id: string, token: number | null, leaseEnd: number, fence?: WriteFence) {
    this.#b = backend
    this.#fence = fence
    this.#id = id
    this.#token = token
    this.#mode = token === null ? 'r' : 'rw'
    this.#leaseEnd = leaseEnd
    this.#delta = token === null ? null : emptyDelta()
  }

  get id (): string { return this.#id }
  get mode (): LockMode { return this.#mode }
  get leaseEnd (): number { return this.#token === null ? 0 : this.#leaseEnd }

  #open (): void {
    if (this.#closed) throw new HandleClosedError()
  }

  #writable (): DataDelta {
    this.#open()
    if (this.#delta === null) throw new ReadOnlyError()
    // Refuse early what the fenced commit would refuse anyway.
    if (Date.now() >= this.#leaseEnd) throw new LockLostError()
    return this.#delta
  }

  /** What the pending writes say of `key`: its new value, null when removed, undefined when they leave it as committed. */
  #staged (key: string): string | null | undefined {
    const d = this.#delta
    if (d === null) return undefined
    if (d.set.has(key)) return d.set.get(key)
    return d.clear || d.del.has(key) ? null : undefined
  }

  async get (key: string): Promise<string | undefined> {
    checkKey(key)
    this.#open()
    const staged = this.#staged(key)
    if (staged !== undefined) return staged ?? undefined
    return this.#b.get(this.#id, key)
  }

  async exists (key: string): Promise<boolean> {
    checkKey(key)
    this.#open()
    const staged = this.#staged(key)
    if (staged !== undefined) return staged !== null
    return this.#b.exists(this.#id, key)
  }

  async getAll (): Promise<Record<string, string>> {
    this.#open()
    const d = this.#delta
    const base = d?.clear ? {} : await this.#b.getAll(this.#id)
    if (!d) return base
    const merged = new Map(Object.entries(base))
    applyDelta(merged, d)
    // fromEntries defines own properties, so a key named __proto__ stays a key.
    return Object.fromEntries(merged)
  }

  async keys (): Promise<string[]> {
    this.#open()
    if (!this.#delta) return this.#b.keys(this.#id)
    return Object.keys(await this.getAll()).sort(compareKeys)
  }

  async put (key: string, value: string): Promise<void> {
    checkKey(key)
    checkValue(value)
    const d = this.#writable()
    d.del.delete(key)
    d.set.set(key, value)
  }

  async remove (key: string): Promise<void> {
    checkKey(key)
    const d = this.#writable()
    d.set.delete(key)
    d.del.add(key)
  }

  async putAll (data: Record<string, string>): Promise<void> {
    const entries = checkedEntries(data)
    const d = this.#writable()
    d.clear = true
    d.del.clear()
    d.set = new Map(entries)
  }

  async commit (): Promise<void> {
    this.#open()
    if (this.#token === null || this.#delta === null) return
    const token = this.#token
    const delta = this.#delta
    // Whatever the outcome, this handle no longer holds the lock.
    this.#token = null
    this.#delta = null
    this.#mode = 'r'
    try {
      await this.#b.apply(this.#id, token, delta, true, this.#fence)
    } catch (err) {
      // A stale writer's commit wrote nothing, and its lock must not wait out its lease: let go of it.
      if ((err as { code?: string }).code === 'STORE_ERR_STALE_EPOCH') await this.#b.apply(this.#id, token, emptyDelta(), true).catch(() => { /* released at the lease end */ })
      throw err
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    try {
      await this.commit()
    } finally {
      this.#closed = true
    }
  }

  async discard (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const token = this.#token
    this.#token = null
    this.#delta = null
    // An empty delta under the token only releases the lock, and only if still held.
    if (token !== null) await this.#b.apply(this.#id, token, emptyDelta(), true)
  }

  async destroy (): Promise<void> {
    this.#open()
    this.#closed = true
    this.#delta = null
    await this.#b.destroy(this.#id)
  }

  async regenerateId (): Promise<string> {
    this.#open()
    if (this.#token !== null) {
      const moved = await this.#b.move(this.#id, this.#token)
      // A holder's move never answers Busy: it either holds the lock or is refused.
      if (typeof moved !== 'string') throw new LockLostError()
      this.#id = moved
    } else {
      this.#id = await this.#b.regenerateId(this.#id)
    }
    return this.#id
  }
}
