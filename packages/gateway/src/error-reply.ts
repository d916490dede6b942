import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

// Codes whose message is written for clients (docs/errors.md). Anything else
// that fails with a 5xx gets a generic message: internals stay in the log.
const CLIENT_SAFE = /^(GW|SUP|STORE|FST)_ERR_/

/**
 * The one shape of every error the gateway answers, its own and the store
 * API's (which hands its errors up here): the status, a short reason, the
 * code and the request id; one log line with that id. A 503 that says when
 * to come back (a backoff, a full queue, a limit) is logged at debug: the
 * supervisor logs the state change once, not every request it turns away.
 */
export function errorReply (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
  const code = typeof err.code === 'string' ? err.code : 'GW_ERR_INTERNAL'
  const coded = CLIENT_SAFE.test(code)
  let message = err.message
  if (status >= 500 && !coded) message = code === 'SDK_ERR_HANDLER' ? "the realm's handler failed" : 'internal error'
  // The rest of an oversized body is not worth reading: close rather than drain (HTTP/2 streams have no such header).
  if (status === 413 && request.raw.httpVersionMajor === 1) reply.header('connection', 'close')
  // Backoff and capacity errors say when to come back.
  const retryAfter = (err as { retryAfter?: unknown }).retryAfter
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter))
  if (status < 500) request.log.info({ code, status }, message)
  else if (typeof retryAfter === 'number') request.log.debug({ code, status, retryAfter }, message)
  else if (coded) request.log.warn({ code, status }, message)
  else request.log.error({ err }, 'request failed')
  return reply.code(status).header('x-request-id', request.id).send({ error: code, message, requestId: request.id })
}
