import createError from '@fastify/error'

// The gateway's coded errors: each code once, with the HTTP status a client
// gets (docs/errors.md lists them all; test/errors.test.ts holds the two
// together). Errors that only the CLI reports (a config, key or certificate
// it cannot use) carry 500 too: the CLI picks its exit status by code.
export const ConfigError = createError('GW_ERR_CONFIG', '%s', 500)
export const NotAuthenticatedError = createError('GW_ERR_NOT_AUTHENTICATED', 'login required', 401)
export const LoginFailedError = createError('GW_ERR_LOGIN_FAILED', 'invalid username or password', 401)
export const NotFoundError = createError('GW_ERR_NOT_FOUND', 'no such path', 404)
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
export const HandlerLoadError = createError('GW_ERR_HANDLER_LOAD', 'a handler cannot load:\n  %s', 500)
export const ScaffoldError = createError('GW_ERR_SCAFFOLD', '%s', 500)
export const PamUnavailableError = createError('GW_ERR_PAM', 'PAM: %s', 500)
export const AdminTokenError = createError('GW_ERR_ADMIN_TOKEN', '%s', 400)
export const AdminRequiredError = createError('GW_ERR_ADMIN_REQUIRED', 'the admin API needs a login in the admin group or an admin token', 401)
export const AdminForbiddenError = createError('GW_ERR_ADMIN_FORBIDDEN', 'not allowed: %s', 403)
export const AdminNotFoundError = createError('GW_ERR_ADMIN_NOT_FOUND', 'no %s %s', 404)
export const BadAdminQueryError = createError('GW_ERR_ADMIN_QUERY', 'bad query: %s', 400)
export const NotReadyError = createError('GW_ERR_NOT_READY', 'not ready: %s', 503)
export const ControlSocketError = createError('GW_ERR_CONTROL_SOCKET', '%s', 500)
