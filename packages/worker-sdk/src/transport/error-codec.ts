import type { EncodedError } from './messages.ts'

// Structured clone drops custom properties of errors, so errors cross the
// port as plain data and are rebuilt on the other side.
export function encodeError (err: unknown, fallbackCode = 'SDK_ERR_HANDLER'): EncodedError {
  const e = err as { code?: unknown, message?: unknown, statusCode?: unknown }
  const code = typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.code) ? e.code : fallbackCode
  const statusCode = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return { code, message, statusCode }
}

/** An error rebuilt from its encoded form; `code` and `statusCode` survive. */
export class RemoteError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor ({ code, message, statusCode }: EncodedError) {
    super(message)
    this.name = 'RemoteError'
    this.code = code
    this.statusCode = statusCode
  }
}

export function decodeError (e: EncodedError): RemoteError {
  return new RemoteError(e)
}

/**
 * The response header with which a process worker's HTTP mode marks an
 * answer that is a coded error (its body is the EncodedError), so that the
 * supervisor rebuilds the error as it does from a thread's port.
 */
export const SDK_ERROR_HEADER = 'x-sessiond-error'
