import pino from 'pino'
import type { Logger } from 'pino'

/** Never logged, wherever they appear in a log object. */
export const REDACT = [
  'password', '*.password', 'req.headers.cookie', 'req.headers.authorization',
  'headers.cookie', 'headers.authorization', 'res.headers["set-cookie"]', 'sessionId', '*.sessionId'
]

/** The root logger: created once by the CLI and handed down. */
export function createLogger (level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } })
}
