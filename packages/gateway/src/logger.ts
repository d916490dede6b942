import pino from 'pino'
import type { Logger } from 'pino'
import pinoPretty from 'pino-pretty'
import { LOG_REDACT, redactingLogger } from '@sessiond/worker-sdk/internal'

/** Never logged, wherever they appear in a log object: the one list, shared with the worker runtimes. */
export const REDACT = LOG_REDACT

/** The root logger: created once by the CLI and handed down; `pretty` (log.pretty) writes lines for a terminal. */
export function createLogger (level: string, { pretty = false }: { pretty?: boolean } = {}): Logger {
  if (!pretty) return redactingLogger(level)
  // In this thread and synchronous: a transport's worker thread would lose the last lines of a crash.
  return pino({ level, redact: { paths: LOG_REDACT, censor: '[redacted]' } }, pinoPretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l' }))
}
