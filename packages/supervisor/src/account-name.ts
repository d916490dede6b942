/**
 * A login or system account name: what sessiond's users file takes, and what
 * `runAs: session-user` maps to a system account of the same name (the
 * portable POSIX subset shadow-utils accepts by default, at most 32 bytes).
 */
export const ACCOUNT_NAME_PATTERN = '^[a-z_][a-z0-9_.-]{0,31}$'
export const ACCOUNT_NAME = new RegExp(ACCOUNT_NAME_PATTERN)
