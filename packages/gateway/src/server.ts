import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'
import type { Supervisor } from '@sessiond/supervisor'
import type { Config } from './config.ts'
import { errorReply } from './error-reply.ts'
import { loginRoutes } from './login.ts'
import { realmRouter } from './realm-router.ts'
import { requestIdGenerator } from './request-id.ts'
import { registerSessionCookie } from './session-cookie.ts'
import type { UsersFile } from './users-file.ts'

export interface ServerOptions {
  config: Config
  logger: Logger
  store: SessionStore
  supervisor: Supervisor
  users: UsersFile
  cookieKey: Buffer
}

/** The Fastify gateway: login, the session cookie, realms, health. */
export async function buildServer ({ config, logger, store, supervisor, users, cookieKey }: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger.child({ component: 'gateway' }) as FastifyBaseLogger,
    // The hot path logs nothing at info: errors log themselves in errorReply.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestIdGenerator(),
    return503OnClosing: true
  })
  app.setErrorHandler(errorReply)
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'GW_ERR_NOT_FOUND', message: 'no such path', requestId: request.id }))

  await registerSessionCookie(app, cookieKey, config.session.maxAge)
  app.get('/healthz', async () => ({ ok: true }))

  await app.register(async (gatewayOwn) => {
    await gatewayOwn.register(fastifyFormbody, { bodyLimit: 8 * 1024 })
    await loginRoutes(gatewayOwn, { config, store, supervisor, users })
  })
  await app.register(async (realms) => realmRouter(realms, { config, store, supervisor }))
  return app
}
