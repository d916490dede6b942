// Coded errors of the worker-sdk: one table of codes and statuses
// (docs/errors.md lists them; test/errors.test.ts holds the two together).
// Kept free of dependencies so that a handler's thread or process loads as
// little as possible.

/** Every code the worker-sdk raises, with the HTTP status a client gets. */
export const SDK_ERROR_STATUS = {
  SDK_ERR_INVALID_HANDLER: 500,
  SDK_ERR_HANDLER: 500,
  SDK_ERR_BAD_RESPONSE: 500,
  SDK_ERR_BAD_REQUEST: 400,
  SDK_ERR_STOPPING: 503,
  SDK_ERR_STORE_UNAVAILABLE: 503,
  SDK_ERR_STORE: 502,
  SDK_ERR_ENV: 500,
  SDK_ERR_PROTOCOL: 502,
  SDK_ERR_SOCKET_CLOSED: 500,
  SDK_ERR_ABORTED: 502,
  SDK_ERR_NOT_UPGRADABLE: 500,
  SDK_ERR_NOT_WEBSOCKET: 500,
  SDK_ERR_ATTACHMENT_TOO_LARGE: 500,
  SDK_ERR_CONTEXT_UNSUPPORTED: 500,
  // The store's own codes (session-store's errors.ts, with the same statuses), raised here where
  // the lock client decides without asking the store: a worker of any kind sees the same code.
  STORE_ERR_READ_ONLY: 409,
  STORE_ERR_MODE_INVALID: 400,
  STORE_ERR_LOCK_LOST: 409,
  STORE_ERR_HANDLE_CLOSED: 409
} as const

export type SdkErrorCode = keyof typeof SDK_ERROR_STATUS

export class SdkError extends Error {
  readonly code: string
  readonly statusCode: number
  constructor (code: string, message: string, statusCode: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SdkError'
    this.code = code
    this.statusCode = statusCode
  }
}

/** An error of the table: its status comes with its code. */
export function sdkError (code: SdkErrorCode, message: string, options?: ErrorOptions): SdkError {
  return new SdkError(code, message, SDK_ERROR_STATUS[code], options)
}

export const invalidHandler = (what: string): SdkError => sdkError('SDK_ERR_INVALID_HANDLER', `handler module ${what}`)
export const handlerFailed = (cause: unknown): SdkError => sdkError('SDK_ERR_HANDLER', 'handler failed', { cause })
export const badResponse = (what: string): SdkError => sdkError('SDK_ERR_BAD_RESPONSE', `handler returned ${what}, expected a Response`)
export const workerStopping = (why = 'worker is stopping'): SdkError => sdkError('SDK_ERR_STOPPING', why)
export const badRequest = (cause: unknown): SdkError => sdkError('SDK_ERR_BAD_REQUEST', 'request could not be built', { cause })
export const notStartedBySupervisor = (what: string): SdkError => sdkError('SDK_ERR_ENV', `${what}: this entry is started by the sessiond supervisor`)
export const socketClosed = (): SdkError => sdkError('SDK_ERR_SOCKET_CLOSED', 'the socket channel is closed')
export const peerAborted = (): SdkError => sdkError('SDK_ERR_ABORTED', 'the other end of the transport aborted the stream')
export const notUpgradable = (): SdkError => sdkError('SDK_ERR_NOT_UPGRADABLE', 'not an upgrade request still waiting for its answer')
export const notWebSocket = (): SdkError => sdkError('SDK_ERR_NOT_WEBSOCKET', 'upgradeWebSocket needs a request with Upgrade: websocket that is still waiting for its answer')
export const attachmentTooLarge = (bytes: number, limit: number): SdkError => sdkError('SDK_ERR_ATTACHMENT_TOO_LARGE', `a socket attachment of ${bytes} bytes is over the limit of ${limit}`)
export const contextUnsupported = (what: string): SdkError =>
  sdkError('SDK_ERR_CONTEXT_UNSUPPORTED', `kind context: ${what}; the handler's modules are bundled when the daemon starts (use kind thread for code that loads modules at run time)`)
export const storeUnavailable = (why: string): SdkError => sdkError('SDK_ERR_STORE_UNAVAILABLE', why)

export const storeReadOnly = (): SdkError => sdkError('STORE_ERR_READ_ONLY', 'session is open read-only; open it rw to write')
export const storeModeInvalid = (): SdkError => sdkError('STORE_ERR_MODE_INVALID', 'lock mode must be r or rw')
export const storeLockLost = (why: string): SdkError => sdkError('STORE_ERR_LOCK_LOST', `the rw lock of this worker was dropped ${why}; nothing was written under it`)
export const storeReleased = (): SdkError => sdkError('STORE_ERR_HANDLE_CLOSED', 'this worker\'s store access was released (the worker ended)')

/** The peer at the other end of a transport broke the protocol: a bad gateway, whichever end saw it. */
export class ProtocolError extends SdkError {
  constructor (message: string) {
    super('SDK_ERR_PROTOCOL', message, SDK_ERROR_STATUS.SDK_ERR_PROTOCOL)
    this.name = 'ProtocolError'
  }
}
