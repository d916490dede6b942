/**
 * Wakes the callers waiting for a session's lock. A release in this process
 * wakes its waiters at once; a release elsewhere (another process on the
 * same SQLite file, another host on the same Redis) is seen by the waiter's
 * next poll, so `wait` never sleeps longer than it was told.
 */
export class LockWaiters {
  #waiting = new Map<string, Set<() => void>>()
  #releases = 0

  /** A mark to pass to `wait`: a release after it is not missed. */
  get mark (): number {
    return this.#releases
  }

  /**
   * Resolves on `notify(id)` or after `ms`, whichever comes first, and at
   * once if any release happened since `mark`: a release that landed while
   * the caller's attempt was in flight would otherwise be slept through.
   */
  wait (id: string, ms: number, mark = this.#releases): Promise<void> {
    if (mark !== this.#releases) return Promise.resolve()
    return new Promise(resolve => {
      let set = this.#waiting.get(id)
      if (!set) this.#waiting.set(id, set = new Set())
      const done = () => {
        clearTimeout(timer)
        set.delete(done)
        if (set.size === 0 && this.#waiting.get(id) === set) this.#waiting.delete(id)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      set.add(done)
    })
  }

  notify (id: string): void {
    this.#releases++
    const set = this.#waiting.get(id)
    if (!set) return
    // Wake every waiter: they race for the lock again and the losers wait anew.
    for (const done of [...set]) done()
  }

  get size (): number {
    let n = 0
    for (const set of this.#waiting.values()) n += set.size
    return n
  }
}
