import { EpochInvalidError, RealmInvalidError, StaleEpochError, ValueInvalidError, ValueTooLargeError } from './errors.ts'

/** The longest saved worker state, in UTF-8 bytes: a session's worker states stay bounded (one per realm). */
export const MAX_WORKER_STATE_BYTES = 4 * 1024 * 1024

// The realm schema's own pattern (supervisor config.ts): only configured realm names reach the store.
const REALM = /^[a-z][a-z0-9-]{0,62}$/

/** Checks what every backend's worker-state write takes, before any of it is stored. */
export function checkWorkerState (realm: unknown, json: unknown, epoch: unknown): void {
  checkRealm(realm)
  if (json !== null) {
    if (typeof json !== 'string') throw new ValueInvalidError()
    if (json.length > MAX_WORKER_STATE_BYTES / 3 && Buffer.byteLength(json) > MAX_WORKER_STATE_BYTES) throw new ValueTooLargeError(MAX_WORKER_STATE_BYTES)
  }
  if (epoch !== undefined && !(Number.isSafeInteger(epoch) && (epoch as number) >= 0)) throw new EpochInvalidError()
}

export function checkRealm (realm: unknown): asserts realm is string {
  if (typeof realm !== 'string' || !REALM.test(realm)) throw new RealmInvalidError()
}

/**
 * The fencing rule of a worker-state write, for the backends that check it
 * in JS (redis-scripts.ts has it in Lua): a write carrying an epoch lower
 * than the stored one is stale. Answers the epoch to store.
 */
export function fencedEpoch (stored: number, given: number | undefined): number {
  if (given === undefined) return stored
  if (given < stored) throw new StaleEpochError()
  return given
}
