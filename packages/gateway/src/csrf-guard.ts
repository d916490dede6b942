import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CrossSiteRequestError } from './errors.ts'
import { sessionOf } from './session-cookie.ts'

/** The form field, and the cookie's field, that carry the form token. */
export const CSRF_FIELD = 'csrf'

/** The content types an HTML form (or a no-CORS fetch) can send from another site. */
function isFormLike (request: FastifyRequest): boolean {
  const type = request.headers['content-type']?.toLowerCase() ?? ''
  return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data') || type.startsWith('text/plain')
}

/**
 * Whether the browser says the request comes from another site. Browsers
 * send Sec-Fetch-Site (and Origin on every POST); clients that are not
 * browsers send neither and are not subject to CSRF.
 */
export function isCrossSite (request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) return site !== 'same-origin' && site !== 'none'
  const origin = request.headers.origin
  if (origin === undefined) return false
  return origin !== `${request.protocol}://${request.host}`
}

/** This session cookie's form token, created on first use. */
export function csrfToken (request: FastifyRequest): string {
  let token = sessionOf(request).get(CSRF_FIELD)
  if (typeof token !== 'string') {
    token = randomBytes(24).toString('base64url')
    sessionOf(request).set(CSRF_FIELD, token)
  }
  return token
}

/** A new token, at login and logout: a token never outlives the session it was issued under. */
export function renewCsrfToken (request: FastifyRequest): void {
  sessionOf(request).set(CSRF_FIELD, randomBytes(24).toString('base64url'))
}

function sameToken (a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false
  return timingSafeEqual(Buffer.from(a), Buffer.from(b))
}

/**
 * A preHandler for the gateway's state-changing routes: a cross-site request
 * is a 403; a form post must also carry the token bound to its session
 * cookie (defence in depth for browsers that send neither header).
 */
export async function csrfGuard (request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (isCrossSite(request)) throw new CrossSiteRequestError('cross-site request')
  if (!isFormLike(request)) return
  const body = request.body as Record<string, unknown> | null | undefined
  if (!sameToken(body?.[CSRF_FIELD], sessionOf(request).get(CSRF_FIELD))) throw new CrossSiteRequestError('missing or stale form token')
}
