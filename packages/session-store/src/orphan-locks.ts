/** How often a release that did not land is tried again. */
const RETRY_MS = 200

/** The backend could not be reached: whether the step ran is unknown. */
export function isUnavailable (err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'STORE_ERR_UNAVAILABLE'
}

interface Orphan {
  id: string
  release: () => Promise<unknown>
  /** The lease has ended by itself by then: nothing left to release. */
  until: number
}

/**
 * Locks whose release may never have reached the store. A commit, a
 * discard or a lock attempt that failed with STORE_ERR_UNAVAILABLE (Redis
 * restarting, a connection cut mid-command) may have left the session's
 * lock held there, and its holder, having seen the failure, will never
 * release it: the session's writers would wait out the whole lease once
 * the store is back (issue 15, finding 6). Each one is released again,
 * fenced by its token or owner so that it never drops someone else's lock,
 * until that lands or the lease is over by itself.
 */
export class OrphanLocks {
  #pending = new Map<string, Orphan>()
  #timer: NodeJS.Timeout | null = null
  #onReleased: (id: string) => void

  constructor (onReleased: (id: string) => void) {
    this.#onReleased = onReleased
  }

  /** `tag` names the lock (its token or owner), so that one lock is retried once. */
  add (id: string, tag: string, release: () => Promise<unknown>, until: number): void {
    this.#pending.set(`${id}\0${tag}`, { id, release, until })
    this.#arm()
  }

  get size (): number {
    return this.#pending.size
  }

  close (): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#pending.clear()
  }

  #arm (): void {
    if (this.#timer || this.#pending.size === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#retry().finally(() => this.#arm())
    }, RETRY_MS)
    // Never what keeps a process alive: a lease ends by itself.
    this.#timer.unref()
  }

  async #retry (): Promise<void> {
    const now = Date.now()
    await Promise.all([...this.#pending].map(async ([key, o]) => {
      if (now >= o.until) {
        this.#pending.delete(key)
        return
      }
      try {
        await o.release()
      } catch (err) {
        // Still unreachable: next time. Anything else (the session is gone) means there is no lock to release.
        if (isUnavailable(err)) return
      }
      this.#pending.delete(key)
      this.#onReleased(o.id)
    }))
  }
}
