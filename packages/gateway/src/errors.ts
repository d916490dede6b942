import createError from '@fastify/error'

export const ConfigError = createError('GW_ERR_CONFIG', '%s', 1)
export const NotAuthenticatedError = createError('GW_ERR_NOT_AUTHENTICATED', 'login required', 401)
export const BadLoginRequestError = createError('GW_ERR_BAD_LOGIN_REQUEST', '%s', 400)
export const UserExistsError = createError('GW_ERR_USER_EXISTS', 'user %s already exists', 409)
export const InvalidUserNameError = createError('GW_ERR_INVALID_USER_NAME', 'user names are 1 to 32 characters: lower-case letters, digits, _ . - (starting with a letter or _)', 400)
export const PasswordPolicyError = createError('GW_ERR_PASSWORD_POLICY', 'passwords are %d to %d bytes', 400)
export const KeyFileError = createError('GW_ERR_KEY_FILE', 'cookie key file %s: %s', 1)
