import { execFile } from 'node:child_process'
import type { Logger } from 'pino'

/**
 * Tells systemd the daemon is ready (Type=notify), once it listens. Node
 * cannot send on a unix datagram socket, so systemd's own systemd-notify
 * sends READY=1 for us, naming our pid; the unit allows that with
 * NotifyAccess=all (docs/deploy/sessiond.service). Without NOTIFY_SOCKET
 * (not started by systemd) nothing is sent.
 */
export function notifyReady (env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  if (!env.NOTIFY_SOCKET) return Promise.resolve()
  return new Promise((resolve) => {
    execFile('systemd-notify', ['--ready', `--pid=${process.pid}`, '--status=listening'], { env: { ...env } }, (err) => {
      if (err) logger.warn({ err }, 'could not tell systemd that sessiond is ready (systemd-notify)')
      resolve()
    })
  })
}
