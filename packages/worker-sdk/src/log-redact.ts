import pino from 'pino'
import type { Logger } from 'pino'

/** Never logged, wherever they appear in a log object: the daemon's list, and every worker runtime's. */
export const LOG_REDACT = [
  'password', '*.password', 'req.headers.cookie', 'req.headers.authorization',
  'headers.cookie', 'headers.authorization', 'res.headers["set-cookie"]', 'sessionId', '*.sessionId'
]

/** A root logger with the redaction list: the daemon's (created once by the CLI), a worker runtime's. */
export function redactingLogger (level: string, base?: Record<string, unknown>): Logger {
  return pino({ level, redact: { paths: LOG_REDACT, censor: '[redacted]' }, ...(base && { base }) })
}
