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
  return crossSiteReason(request) !== null
}

/**
 * Why the request counts as cross-site, or null. The words name what was
 * expected and what came: behind a front server that passes `Host` without
 * its port (nginx's `proxy_set_header Host $host`), the browser's Origin
 * carries the port and looks foreign, and only these words tell why.
 */
export function crossSiteReason (request: FastifyRequest): string | null {
  const site = request.headers['sec-fetch-site']
  // Sent, it decides (browsers send it only to secure origins and localhost); else Origin does.
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? null : `Sec-Fetch-Site is ${JSON.stringify(site)}, expected "same-origin"`
  const origin = request.headers.origin
  if (origin === undefined) return null
  const own = `${request.protocol}://${request.host}`
  if (origin === own) return null
  return `Origin ${origin} is not this gateway's origin ${own} (behind a front server, pass the Host header with its port: nginx $http_host, or X-Forwarded-Host from a trusted proxy)`
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

/** Whether `value` (a header's, a field's) is this cookie's form token: for requests that carry it outside a form (the admin page's fetches). */
export function matchesCsrfToken (request: FastifyRequest, value: unknown): boolean {
  return sameToken(value, sessionOf(request).get(CSRF_FIELD))
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
  const reason = crossSiteReason(request)
  if (reason !== null) throw new CrossSiteRequestError(`cross-site request: ${reason}`)
  if (!isFormLike(request)) return
  const body = request.body as Record<string, unknown> | null | undefined
  if (!sameToken(body?.[CSRF_FIELD], sessionOf(request).get(CSRF_FIELD))) throw new CrossSiteRequestError('missing or stale form token')
}
