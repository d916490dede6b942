import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { errorReply } from '../error-reply.ts'
import { NotFoundError } from '../errors.ts'
import { SessiondMetrics } from './metrics-registry.ts'

/**
 * `metrics.listen`: /metrics on an address of its own, with no
 * authentication, for a scraper on a private network; nothing else is
 * served there. The main listener serves the same text at /_sessiond/metrics
 * to admins and tokens.
 */
export async function listenMetrics (metrics: SessiondMetrics, { host, port }: { host: string, port: number }, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger.child({ component: 'metrics' }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) })
  app.setErrorHandler(errorReply)
  app.setNotFoundHandler((request, reply) => errorReply(new NotFoundError(), request, reply))
  app.get('/metrics', async (request, reply) => {
    const { contentType, body } = await metrics.render(SessiondMetrics.wantsOpenMetrics(request.headers.accept))
    return reply.type(contentType).send(body)
  })
  await app.listen({ host, port })
  return app
}
