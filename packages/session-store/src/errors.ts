import createError from '@fastify/error'

// The store's coded errors: each code once, with its HTTP status (docs/errors.md;
// test/errors.test.ts holds the two together).
export const NoSessionError = createError('STORE_ERR_NO_SESSION', 'no such session', 404)
export const KeyMissingError = createError('STORE_ERR_KEY_MISSING', 'key does not exist', 404)
export const KeyInvalidError = createError('STORE_ERR_KEY_INVALID', 'key must be 1 to %d bytes of UTF-8 text', 400)
export const ValueTooLargeError = createError('STORE_ERR_VALUE_TOO_LARGE', 'value exceeds %d bytes', 413)
export const ValueInvalidError = createError('STORE_ERR_VALUE_INVALID', 'value must be a string', 400)
export const StoreUnavailableError = createError('STORE_ERR_UNAVAILABLE', 'session store unavailable', 503)
export const LockTimeoutError = createError('STORE_ERR_LOCK_TIMEOUT', 'session is locked by another writer; gave up after %d ms', 423)
export const LockLostError = createError('STORE_ERR_LOCK_LOST', 'this rw lock is not held (its lease ended, it was committed, released or taken over, or it was never granted here): nothing was done under it', 409)
export const LockWaitInvalidError = createError('STORE_ERR_WAIT_INVALID', 'wait must be a whole number of milliseconds from 0 to %d', 400)
export const ReadOnlyError = createError('STORE_ERR_READ_ONLY', 'session is open read-only; open it rw to write', 409)
export const HandleClosedError = createError('STORE_ERR_HANDLE_CLOSED', 'this session handle is closed', 409)
export const ModeInvalidError = createError('STORE_ERR_MODE_INVALID', 'lock mode must be r or rw', 400)
export const StoreConnectError = createError('STORE_ERR_CONNECT', 'cannot reach the session store at %s: %s', 503)
export const StoreConfigError = createError('STORE_ERR_CONFIG', '%s', 500)
export const PhpSerializeError = createError('STORE_ERR_PHP_SERIALIZE', 'not a PHP serialize() array of strings: %s', 400)
export const StoreAuthError = createError('STORE_ERR_UNAUTHORIZED', 'a store token or the session cookie is required', 401)
export const RealmInvalidError = createError('STORE_ERR_REALM_INVALID', 'a realm name is a lower-case letter, then up to 62 letters, digits and dashes', 400)
export const EpochInvalidError = createError('STORE_ERR_EPOCH_INVALID', 'an epoch is a whole number from 0 to 2^53 - 1', 400)
export const StaleEpochError = createError('STORE_ERR_STALE_EPOCH', 'the worker state was written under a newer epoch: this writer is stale', 409)
