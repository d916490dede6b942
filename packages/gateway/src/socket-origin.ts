import type { FastifyRequest } from 'fastify'

/**
 * Whether a WebSocket handshake may come from where it says. Browsers send
 * cookies with a WebSocket from any site and send its Origin, which the
 * page cannot change (cross-site WebSocket hijacking): only the gateway's
 * own origin, as the client reached it (through a trusted proxy's
 * X-Forwarded-Proto/-Host), and the realm's listed origins may open one.
 * A client that is no browser sends no Origin and is not subject to it.
 */
export function socketOriginAllowed (request: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return true
  if (origin === `${request.protocol}://${request.host}`) return true
  return allowed.includes(origin)
}
