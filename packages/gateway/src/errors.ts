import createError from '@fastify/error'

// The gateway's coded errors: each code once, with the HTTP status a client
// gets (docs/errors.md lists them all; test/errors.test.ts holds the two
// together). Errors that only the CLI reports (a config, key or certificate
// it cannot use) carry 500 too: the CLI picks its exit status by code.
export const ConfigError = createError('GW_ERR_CONFIG', '%s', 500)
export const NotAuthenticatedError = createError('GW_ERR_NOT_AUTHENTICATED', 'login required', 401)
export const LoginFailedError = createError('GW_ERR_LOGIN_FAILED', 'invalid username or password', 401)
export const NotFoundError = createError('GW_ERR_NOT_FOUND', 'no such path', 404)
export const BadRequestError = createError('GW_ERR_BAD_REQUEST', 'the request could not be parsed (%s)', 400)
export const HeadersTooLargeError = createError('GW_ERR_HEADERS_TOO_LARGE', 'the request\'s headers are over the limit', 431)
export const RequestTimeoutError = createError('GW_ERR_REQUEST_TIMEOUT', 'the request did not arrive in time', 408)
export const UserExistsError = createError('GW_ERR_USER_EXISTS', 'user %s already exists', 409)
export const InvalidUserNameError = createError('GW_ERR_INVALID_USER_NAME', 'user names are 1 to 32 characters: lower-case letters, digits, _ . - (starting with a letter or _)', 400)
export const PasswordPolicyError = createError('GW_ERR_PASSWORD_POLICY', 'passwords are %d to %d bytes', 400)
export const KeyFileError = createError('GW_ERR_KEY_FILE', 'cookie key file %s: %s', 500)
export const BodyTooLargeError = createError('GW_ERR_BODY_TOO_LARGE', 'request body over the limit of %d bytes', 413)
export const BadFramingError = createError('GW_ERR_BAD_FRAMING', 'refused: %s', 400)
export const CrossSiteRequestError = createError('GW_ERR_CSRF', 'refused: %s', 403)
export const TooManyLoginsError = createError('GW_ERR_TOO_MANY_LOGINS', 'too many failed logins: try again in %d s', 429)
export const CertError = createError('GW_ERR_CERT', '%s', 500)
export const RealmForbiddenError = createError('GW_ERR_FORBIDDEN', 'this realm is not open to you', 403)
export const UntrustedAuthHeaderError = createError('GW_ERR_UNTRUSTED_AUTH_HEADER', 'refused: %s comes only from the front server', 403)
export const BadRemoteUserError = createError('GW_ERR_BAD_REMOTE_USER', 'refused: the front server named a user this gateway cannot take', 403)
export const BadForwardedPrefixError = createError('GW_ERR_BAD_FORWARDED_PREFIX', 'refused: X-Forwarded-Prefix from the front server is not a path prefix', 400)
export const SocketOriginError = createError('GW_ERR_SOCKET_ORIGIN', 'refused: a WebSocket from origin %s', 403)
export const TooManySocketsError = createError('GW_ERR_TOO_MANY_SOCKETS', 'this session has its %d WebSockets open in this realm already', 429)
export const HandshakeTimeoutError = createError('GW_ERR_HANDSHAKE_TIMEOUT', 'the worker did not answer the WebSocket handshake within %d ms', 504)
export const BadHandshakeError = createError('GW_ERR_BAD_HANDSHAKE', 'refused: %s', 400)
export const SupervisorGoneError = createError('GW_ERR_SHUTTING_DOWN', 'the gateway is shutting down', 503)
export const HandlerLoadError = createError('GW_ERR_HANDLER_LOAD', 'a handler cannot load:\n  %s', 500)
export const ScaffoldError = createError('GW_ERR_SCAFFOLD', '%s', 500)
export const PamUnavailableError = createError('GW_ERR_PAM', 'PAM: %s', 500)
