import type { FastifyRequest } from 'fastify'
import { crossSiteReason } from './csrf-guard.ts'
import { CrossSiteRequestError } from './errors.ts'

/** Methods a page on another site can make a browser send with the user's cookie, and that change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** A realm's `csrf` setting: on unless the realm opts out (`csrf: off`, or false). */
export type RealmCsrf = 'on' | 'off' | boolean | undefined

/**
 * Realm CSRF, on by default: a state-changing request to a realm that the
 * browser says comes from another site (Sec-Fetch-Site cross-site or
 * same-site, or an Origin that is not the gateway's) is a 403 before any
 * worker sees it. The session cookie is SameSite=Lax, which stops a
 * cross-site form POST in current browsers but not a same-site one (another
 * realm's host, a sibling subdomain) nor older browsers. Clients that are not
 * browsers send neither header and pass. A realm serving an API with its own
 * tokens opts out with `csrf: off`.
 */
export function checkRealmCsrf (csrf: RealmCsrf, request: FastifyRequest): void {
  if (csrf === 'off' || csrf === false || SAFE_METHODS.has(request.method)) return
  const reason = crossSiteReason(request)
  if (reason !== null) throw new CrossSiteRequestError(`cross-site ${request.method} to a realm: ${reason}`)
}
