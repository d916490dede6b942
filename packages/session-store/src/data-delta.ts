/**
 * The writes a `rw` handle has collected since it took the lock (or last
 * committed): they reach the store in one atomic step at commit.
 */
export interface DataDelta {
  /** put_all: drop every existing key first. */
  clear: boolean
  set: Map<string, string>
  del: Set<string>
}

export function emptyDelta (): DataDelta {
  return { clear: false, set: new Map(), del: new Set() }
}

export function isEmptyDelta (d: DataDelta): boolean {
  return !d.clear && d.set.size === 0 && d.del.size === 0
}

/** Applies a delta to a plain map: the memory store's data, or a `rw` handle's view of its own writes. */
export function applyDelta (data: Map<string, string>, d: DataDelta): void {
  if (d.clear) data.clear()
  for (const k of d.del) data.delete(k)
  for (const [k, v] of d.set) data.set(k, v)
}
