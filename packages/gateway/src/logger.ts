import type { Logger } from 'pino'
import { LOG_REDACT, redactingLogger } from '@sessiond/worker-sdk/internal'

/** Never logged, wherever they appear in a log object: the one list, shared with the worker runtimes. */
export const REDACT = LOG_REDACT

/** The root logger: created once by the CLI and handed down. */
export function createLogger (level: string): Logger {
  return redactingLogger(level)
}
