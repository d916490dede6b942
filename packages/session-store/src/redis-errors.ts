import { HostTakenError, LockLostError, NoSessionError, StaleEpochError, StoreUnavailableError } from './errors.ts'

/** A Redis failure as the store's coded error: a script's own refusal by its name, anything else the store being unreachable. */
export function mapError (err: unknown): Error {
  // Redis 7 puts "ERR " before a script's error_reply text; older servers do not.
  const message = ((err as Error)?.message ?? '').replace(/^ERR /, '')
  if (message === 'NOSESSION') return new NoSessionError()
  if (message === 'LOCKLOST') return new LockLostError()
  if (message.startsWith('STALEEPOCH')) return new StaleEpochError()
  if (message === 'HOSTTAKEN') return new HostTakenError('')
  return new StoreUnavailableError({ cause: err })
}
