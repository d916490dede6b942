// The control socket: the admin API on a unix socket in the data directory,
// for `sessiond status`, `stop`, `reload`, `workers stop` and `sessions end`
// on a host with no network listener the CLI could use. Mode 0600 in a 0700
// directory: only the daemon's own user (and root) can connect, and whoever
// can connect may do everything, as they could signal the daemon anyway.
import { existsSync } from 'node:fs'
import { chmod, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { SOCKET_CALLER } from './admin/admin-auth.ts'
import { errorReply } from './error-reply.ts'
import { ControlSocketError, NotFoundError } from './errors.ts'

/** sockaddr_un's sun_path: 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107

export function controlSocketPath (dataDir: string): string {
  return join(dataDir, 'control.sock')
}

export interface ControlSocketOptions {
  dataDir: string
  logger: Logger
  /** The admin API's routes, registered on the socket's own server. */
  routes: (app: FastifyInstance) => Promise<void>
  /** `sessiond stop`: stop the daemon as SIGTERM would. */
  stop: () => void
}

/** Whether a daemon answers on the socket: then another one owns this data directory. */
function answers (path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

export async function listenControlSocket ({ dataDir, logger, routes, stop }: ControlSocketOptions): Promise<FastifyInstance | null> {
  const path = controlSocketPath(dataDir)
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    // A long data directory must not keep the daemon from starting: the CLI says why it cannot connect.
    logger.warn({ path }, `no control socket: its path is longer than ${MAX_SOCKET_PATH} bytes (use a shorter data directory for sessiond status, stop and reload)`)
    return null
  }
  if (existsSync(path)) {
    if (await answers(path)) throw new ControlSocketError(`another sessiond serves ${dataDir} (its control socket ${path} answers)`)
    // Left by a daemon that did not stop cleanly.
    await unlink(path)
  }
  const app = Fastify({ loggerInstance: logger.child({ component: 'control' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) })
  app.setErrorHandler(errorReply)
  app.setNotFoundHandler((request, reply) => errorReply(new NotFoundError(), request, reply))
  app.decorateRequest('publicPrefix', '')
  app.addHook('onRequest', async (request) => { request.adminCaller = SOCKET_CALLER })
  await routes(app)
  app.post('/_sessiond/control/stop', async (request) => {
    request.log.info({ event: 'admin-action', by: 'socket', action: 'stop' }, 'admin: stop')
    // After the answer has gone out: the stop closes this server too.
    setImmediate(stop)
    return { stopping: true }
  })
  await app.listen({ path })
  await chmod(path, 0o600)
  return app
}
