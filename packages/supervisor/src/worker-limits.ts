import type { WorkerEntry } from './worker-table.ts'

export interface WorkerLimits {
  /** Workers on this host, all realms. */
  maxWorkers?: number
  /** Workers of one user, all sessions and realms. */
  maxWorkersPerUser?: number
}

export interface RoomVerdict {
  /** Idle workers to retire so that the new one fits. */
  evict: WorkerEntry[]
  /** Set when nothing idle can make room: the scope and limit that is full. */
  full?: { scope: string, limit: number }
}

/**
 * Decides whether one more worker fits under the host, user and realm limits.
 * Where a limit is reached, the least recently used idle worker in that scope
 * makes room (it hibernates, so its session resumes later); a scope whose
 * workers are all busy is full, and the request is refused rather than queued.
 */
export function makeRoom (entries: Iterable<WorkerEntry>, candidate: WorkerEntry, limits: WorkerLimits, realmLimit: number | undefined): RoomVerdict {
  const others = [...entries].filter(e => e !== candidate && e.user !== undefined)
  const evict = new Set<WorkerEntry>()
  const scopes: Array<[string, number | undefined, (e: WorkerEntry) => boolean]> = [
    ['host', limits.maxWorkers, () => true],
    ['user', limits.maxWorkersPerUser, e => e.user === candidate.user],
    ['realm', realmLimit, e => e.realm === candidate.realm]
  ]
  for (const [scope, limit, inScope] of scopes) {
    if (limit === undefined) continue
    const inUse = others.filter(e => inScope(e) && !evict.has(e))
    if (inUse.length < limit) continue
    const idle = inUse
      .filter(e => e.worker !== null && e.worker.inFlight === 0)
      .sort((a, b) => a.worker!.lastActivity - b.worker!.lastActivity)
    const needed = inUse.length - limit + 1
    if (idle.length < needed) return { evict: [], full: { scope, limit } }
    for (const e of idle.slice(0, needed)) evict.add(e)
  }
  return { evict: [...evict] }
}
