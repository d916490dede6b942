import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'

/** The options of the commands that serve on a listener (start, gateway), for parseArgs. */
export const LISTENER_OPTIONS = {
  config: { type: 'string', short: 'c' },
  listen: { type: 'string', short: 'l' },
  data: { type: 'string', short: 'd' }
} as const

/**
 * Stops on SIGINT and SIGTERM (close-with-grace, `delay` as the last
 * resort) and reloads on SIGHUP, as most daemons do (close-with-grace would
 * stop on SIGHUP too): every role's command.
 */
export function serveUntilSignal (logger: Logger, delay: number, daemon: { close (): Promise<void>, reload (): Promise<unknown> }): void {
  closeWithGrace({ delay, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'stopping after an unexpected error')
    else logger.info({ signal }, 'stopping')
    await daemon.close()
  })
  process.on('SIGHUP', () => {
    daemon.reload().catch(() => { /* reload logged why; the previous config keeps running */ })
  })
}
