// Coded errors of the worker-sdk. Kept free of dependencies so that a
// handler's thread or process loads as little as possible.

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

export const invalidHandler = (what: string): SdkError =>
  new SdkError('SDK_ERR_INVALID_HANDLER', `handler module ${what}`, 500)

export const handlerFailed = (cause: unknown): SdkError =>
  new SdkError('SDK_ERR_HANDLER', 'handler failed', 500, { cause })

export const badResponse = (what: string): SdkError =>
  new SdkError('SDK_ERR_BAD_RESPONSE', `handler returned ${what}, expected a Response`, 500)

export const workerStopping = (): SdkError =>
  new SdkError('SDK_ERR_STOPPING', 'worker is stopping', 503)

export const badRequest = (cause: unknown): SdkError =>
  new SdkError('SDK_ERR_BAD_REQUEST', 'request could not be built', 400, { cause })

export const socketClosed = (): SdkError =>
  new SdkError('SDK_ERR_SOCKET_CLOSED', 'the socket channel is closed', 500)

export const peerAborted = (): SdkError =>
  new SdkError('SDK_ERR_ABORTED', 'the other end of the transport aborted the stream', 502)

export const notUpgradable = (): SdkError =>
  new SdkError('SDK_ERR_NOT_UPGRADABLE', 'not an upgrade request still waiting for its answer', 500)

export const attachmentTooLarge = (bytes: number, limit: number): SdkError =>
  new SdkError('SDK_ERR_ATTACHMENT_TOO_LARGE', `a socket attachment of ${bytes} bytes is over the limit of ${limit}`, 500)

export const notWebSocket = (): SdkError =>
  new SdkError('SDK_ERR_NOT_WEBSOCKET', 'upgradeWebSocket needs a request with Upgrade: websocket that is still waiting for its answer', 500)

// The store's own codes (session-store's errors.ts), raised here where the
// lock client decides without asking the store: a worker of any kind sees
// the same code for the same condition.

export const storeReadOnly = (): SdkError =>
  new SdkError('STORE_ERR_READ_ONLY', 'session is open read-only; open it rw to write', 409)

export const storeModeInvalid = (): SdkError =>
  new SdkError('STORE_ERR_MODE_INVALID', 'lock mode must be r or rw', 400)

export const storeLockLost = (why: string): SdkError =>
  new SdkError('STORE_ERR_LOCK_LOST', `the rw lock of this worker was dropped ${why}; nothing was written under it`, 409)

export const storeReleased = (): SdkError =>
  new SdkError('STORE_ERR_HANDLE_CLOSED', 'this worker\'s store access was released (the worker ended)', 409)
