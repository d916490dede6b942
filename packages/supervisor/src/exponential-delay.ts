/**
 * The delay after the `step`-th repeat of a failure: `baseMs`, doubling each
 * step, never past `maxMs` (2 ** step overflows to Infinity long after the
 * cap applies). The one backoff rule of the crash backoff, the spare pool's
 * retries and the login throttle.
 */
export function exponentialDelay (baseMs: number, maxMs: number, step: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, step))
}
