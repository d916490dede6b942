import fastifyHelmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * Security headers for the pages the gateway itself serves (login, the
 * index, errors), by @fastify/helmet. Realms answer with their own headers:
 * this is registered only in the gateway's own encapsulated context. The
 * pages carry no script and one inline stylesheet, so the policy allows
 * nothing else. HSTS is sent by the HTTPS listener, not here: helmet cannot
 * tell whether the client's scheme is HTTPS behind a proxy.
 */
export async function registerSecurityHeaders (app: FastifyInstance): Promise<void> {
  await app.register(fastifyHelmet, {
    global: true,
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'unsafe-inline'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"]
      }
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' }
  })
}
