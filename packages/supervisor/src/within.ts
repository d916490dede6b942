import { once } from 'node:events'

/**
 * Settles with the promise, or rejects with `timeoutError()` once `ms` have
 * passed (AbortSignal.timeout: an unref'd timer of Node's own).
 */
export function within<T> (promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  const timeout = AbortSignal.timeout(ms)
  const settled = new AbortController()
  const expired = once(timeout, 'abort', { signal: settled.signal }).then(() => { throw timeoutError() })
  return Promise.race([promise, expired]).finally(() => settled.abort())
}
