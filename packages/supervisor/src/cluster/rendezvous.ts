import { createHash } from 'node:crypto'

/** A candidate host and how much it should get: its free capacity. */
export interface Weighted {
  host: string
  weight: number
}

/** A uniform number in (0, 1) from a host and a key. */
function unit (host: string, key: string): number {
  const h = createHash('sha256').update(host).update('\0').update(key).digest()
  // 52 bits: exact in a double; never 0, never 1.
  return (Number(h.readBigUInt64BE(0) >> 12n) + 0.5) / 2 ** 52
}

/**
 * Weighted rendezvous (highest random weight) hashing: each host scores
 * -weight / ln(u) with u uniform from (host, key), and the highest wins.
 * A host gets keys in proportion to its weight, every gateway picks the
 * same host for a key from the same view, and a host coming or going moves
 * only the keys it wins or held. Answers undefined when no host has weight.
 */
export function rendezvous (key: string, hosts: Iterable<Weighted>): string | undefined {
  let best: string | undefined
  let bestScore = -Infinity
  for (const { host, weight } of hosts) {
    if (!(weight > 0)) continue
    const score = -weight / Math.log(unit(host, key))
    if (score > bestScore) {
      bestScore = score
      best = host
    }
  }
  return best
}

/** A member's weight: its free capacity, with a little left for a full host so that a cluster of full hosts still places. */
export function freeCapacity (capacity: number, workers: number): number {
  return Math.max(capacity - workers, 0) + 0.01
}
