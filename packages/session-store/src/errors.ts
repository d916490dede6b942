import createError from '@fastify/error'

export const NoSessionError = createError('STORE_ERR_NO_SESSION', 'no such session', 404)
export const KeyInvalidError = createError('STORE_ERR_KEY_INVALID', 'key must be 1 to %d bytes of UTF-8 text', 400)
export const ValueTooLargeError = createError('STORE_ERR_VALUE_TOO_LARGE', 'value exceeds %d bytes', 413)
export const ValueInvalidError = createError('STORE_ERR_VALUE_INVALID', 'value must be a string', 400)
export const StoreUnavailableError = createError('STORE_ERR_UNAVAILABLE', 'session store unavailable', 503)
