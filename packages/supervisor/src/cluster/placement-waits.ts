import { setTimeout as sleep } from 'node:timers/promises'
import { placementKey } from '@sessiond/session-store'
import type { ClusterDirectory } from '@sessiond/session-store'

/** How often a wait reads the placement itself, in case its event was missed (pub/sub keeps nothing). */
const POLL_MS = 100

interface Waiter {
  fromEpoch: number
  resolve: () => void
}

/**
 * Requests held at the gateway while their (session, realm) moves: each
 * waits for the placement channel to announce a newer epoch for it (at
 * once, on the event), or for a read of the directory to show one.
 */
export class PlacementWaits {
  #dir: ClusterDirectory
  #waiters = new Map<string, Set<Waiter>>()
  #off: () => void

  constructor (dir: ClusterDirectory) {
    this.#dir = dir
    this.#off = dir.onPlacement((key, _host, epoch) => {
      const set = this.#waiters.get(key)
      if (!set) return
      for (const w of set) if (epoch > w.fromEpoch) w.resolve()
    })
  }

  /** Resolves once the placement has an epoch above `fromEpoch`, or at `deadline`. */
  async changed (sessionId: string, realm: string, fromEpoch: number, deadline: number): Promise<void> {
    const key = placementKey(sessionId, realm)
    const done = Promise.withResolvers<void>()
    const w: Waiter = { fromEpoch, resolve: done.resolve }
    let set = this.#waiters.get(key)
    if (!set) this.#waiters.set(key, set = new Set())
    set.add(w)
    let settled = false
    void done.promise.then(() => { settled = true })
    try {
      while (!settled && Date.now() < deadline) {
        const p = await this.#dir.read(sessionId, realm).catch(() => undefined)
        if (p === null || (p !== undefined && p.epoch > fromEpoch)) return
        await Promise.race([done.promise, sleep(Math.max(1, Math.min(POLL_MS, deadline - Date.now())))])
      }
    } finally {
      set.delete(w)
      if (set.size === 0) this.#waiters.delete(key)
    }
  }

  close (): void {
    this.#off()
  }
}
