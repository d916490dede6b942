import { randomBytes } from 'node:crypto'

/**
 * Request ids unique across restarts and hosts without a random draw per
 * request: a random boot prefix and a counter.
 */
export function requestIdGenerator (): () => string {
  const boot = randomBytes(4).toString('hex')
  let n = 0
  return () => `${boot}-${(++n).toString(36)}`
}
