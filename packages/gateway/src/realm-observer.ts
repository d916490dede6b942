import type { FastifyInstance } from 'fastify'
import { sessionHash } from '@sessiond/worker-sdk/internal'
import type { RealmRequestTimer } from './metrics/realm-request-metrics.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the realm router once the realm is known: where this request's duration goes. */
    realmTimer: RealmRequestTimer | null
    /** The session the request went to, for the access log's worker hash. */
    realmSession: string | null
  }
}

/**
 * One hook for every realm response: its duration into the realm's
 * histogram for its status class (no allocation, no string built), and,
 * with `log.access`, one access line (request id, realm, status, duration,
 * worker hash). A callback hook, not an async one: no promise per request.
 */
export function observeRealmRequests (app: FastifyInstance, { accessLog }: { accessLog: boolean }): void {
  app.decorateRequest('realmTimer', null)
  app.decorateRequest('realmSession', null)
  app.addHook('onResponse', (request, reply, done) => {
    const timer = request.realmTimer
    if (timer !== null) {
      const ms = reply.elapsedTime
      timer.observe(reply.statusCode, ms / 1000)
      if (accessLog) {
        const sid = request.realmSession
        request.log.info({ event: 'access', realm: timer.realm, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(ms * 100) / 100, ...(sid !== null && { worker: sessionHash(sid) }) }, 'request')
      }
    }
    done()
  })
}
