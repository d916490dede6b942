import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { verifyStoreToken } from '@sessiond/session-store'
import { isCrossSite } from './csrf-guard.ts'
import { errorReply } from './error-reply.ts'
import { CrossSiteRequestError } from './errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The store tokens a request offers, in every place the store's HTTP API looks for one. */
function offeredTokens (request: FastifyRequest): string[] {
  const out: string[] = []
  const auth = request.headers.authorization
  if (auth?.startsWith('Bearer ')) out.push(auth.slice(7).trim())
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8')
    out.push(decoded.slice(decoded.indexOf(':') + 1))
  }
  const query = (request.query as Record<string, unknown> | undefined)?.token
  if (typeof query === 'string') out.push(query)
  return out
}

/**
 * An onRequest hook in front of the store's HTTP API (/_sessiond/store): a
 * state-changing request that a browser says comes from another site
 * (Sec-Fetch-Site, Origin: csrf-guard.ts) is a 403, unless it carries a
 * valid store token, which no other site can have (workers' requests).
 * Otherwise a page on another site, or on another realm's host (same-site,
 * so the SameSite=Lax cookie goes along), could write a user's session data
 * with their cookie. A token that merely looks like one buys nothing: only
 * a verified token exempts, so this guard never depends on which token the
 * store ends up using.
 */
export function storeCsrfGuard (tokenKey: Buffer) {
  return async function guard (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (SAFE_METHODS.has(request.method) || !isCrossSite(request)) return
    if (offeredTokens(request).some(t => verifyStoreToken(tokenKey, t) !== undefined)) return
    // Answered here: the store's own error handler would not know a gateway code.
    return errorReply(new CrossSiteRequestError('cross-site write to the session store') as FastifyError, request, reply)
  }
}
