import fastifyCookie from '@fastify/cookie'
import fastifySecureSession from '@fastify/secure-session'
import type { Session, SessionData } from '@fastify/secure-session'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isSessionId } from '@sessiond/session-store'
import type { CookieRenewals } from './cookie-renewals.ts'
import { rememberOpenedCookies } from './opened-cookies.ts'

export const COOKIE_NAME = 'sessiond'
/** The cookie for HTTPS clients: `__Host-` makes browsers insist on Secure, Path=/ and no Domain. */
export const SECURE_COOKIE_NAME = '__Host-sessiond'
/**
 * The cookie for HTTPS clients when the gateway is mounted under a path
 * prefix: `__Host-` allows only Path=/, `__Secure-` still insists on Secure.
 */
export const PREFIXED_SECURE_COOKIE_NAME = '__Secure-sessiond'

declare module 'fastify' {
  interface FastifyRequest {
    secureSession: Session<SessionData>
    prefixedSecureSession: Session<SessionData>
    /** The path the client sees in front of the gateway's own paths ('' at the root): public-prefix.ts. */
    publicPrefix: string
    /** The cookie is no login on this request (front-auth.ts: the front server did not vouch for anyone). */
    cookieIgnored: boolean
  }
}

declare module '@fastify/secure-session' {
  interface SessionData {
    sid: string
    iat: number
    /** The form token bound to this cookie (csrf-guard.ts). */
    csrf: string
    /** When the session was last used through this cookie, to the minute or so. */
    seen: number
    /** The session's user, so that realm access rules need no store round trip. */
    usr: string
  }
}

/** Which session cookies a listener can be asked for. */
export interface CookieSchemes {
  /** Plain HTTP clients: a listener without TLS, or behind a trusted proxy that may say either. */
  http: boolean
  /** HTTPS clients: a TLS listener, or behind a trusted proxy. */
  https: boolean
  /** HTTPS under a path prefix (basePath, or a trusted proxy's X-Forwarded-Prefix). */
  prefixed: boolean
}

const ALL_SCHEMES: CookieSchemes = { http: true, https: true, prefixed: true }

/** The schemes of a listener: only a trusted proxy can make a plain listener's client https, or a TLS listener's http. */
export function cookieSchemes ({ tls, trustProxy, basePath }: { tls: boolean, trustProxy: boolean, basePath: boolean }): CookieSchemes {
  return { http: !tls || trustProxy, https: tls || trustProxy, prefixed: basePath || trustProxy }
}

/**
 * The session cookie: the session id, its user, when it was issued and
 * last used, and the form token (SessionData above), sealed with
 * libsodium's secretbox by @fastify/secure-session. A tampered, truncated
 * or foreign cookie opens as an empty session, never an error.
 */
export async function registerSessionCookie (app: FastifyInstance, keys: Buffer[], maxAgeMs: number, schemes: CookieSchemes = ALL_SCHEMES): Promise<void> {
  await app.register(fastifyCookie)
  const expiry = Math.ceil(maxAgeMs / 1000)
  // One cookie per client scheme: a cookie set over HTTPS never travels over
  // plain HTTP, and one set over plain HTTP is never believed over HTTPS.
  // Under a path prefix the path is set per request (public-prefix.ts).
  // The first key seals; cookies sealed under the others open and are re-sealed under the first.
  // Only the cookies this listener can be asked for are registered: the plugin
  // looks at each of them and makes a session object for each on every request.
  await app.register(fastifySecureSession, [
    ...(schemes.http ? [{ sessionName: 'session', key: keys, cookieName: COOKIE_NAME, expiry, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false } }] : []),
    ...(schemes.https ? [{ sessionName: 'secureSession', key: keys, cookieName: SECURE_COOKIE_NAME, expiry, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } }] : []),
    ...(schemes.https && schemes.prefixed ? [{ sessionName: 'prefixedSecureSession', key: keys, cookieName: PREFIXED_SECURE_COOKIE_NAME, expiry, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } }] : [])
  ] as never)
  rememberOpenedCookies(app, expiry)
  app.decorateRequest('publicPrefix', '')
  app.decorateRequest('cookieIgnored', false)
}

/** The session cookie of this request's scheme (through a trusted proxy: the client's scheme) and mount. */
export function sessionOf (request: FastifyRequest): Session<SessionData> {
  if (request.protocol !== 'https') return request.session
  return request.publicPrefix === '' ? request.secureSession : request.prefixedSecureSession
}

/** The session id the cookie carries, if it opened and has the right shape. */
export function readSessionId (request: FastifyRequest): string | undefined {
  if (request.cookieIgnored) return undefined
  const sid = sessionOf(request).get('sid')
  return isSessionId(sid) ? sid : undefined
}

/**
 * The session id, unless the session has been idle through this cookie for
 * longer than `idleMs`. The last use travels sealed in the cookie, so the
 * check costs no store round trip; the cookie is re-issued when its time is
 * more than a tenth of `idleMs` (at most a minute) old, and, with
 * `renewals`, not re-issued to this session already within that time (a
 * client that did not keep the last one). A copy of the cookie taken earlier
 * carries its own older time and dies first.
 */
export function activeSessionId (request: FastifyRequest, idleMs: number, renewals?: CookieRenewals): string | undefined {
  const sid = readSessionId(request)
  if (sid === undefined || idleMs <= 0) return sid
  const now = Date.now()
  const session = sessionOf(request)
  const seen = session.get('seen') ?? session.get('iat')
  if (typeof seen !== 'number' || now - seen > idleMs) return undefined
  if (now - seen > renewalWindow(idleMs) && (!renewals || renewals.claim(sid, now))) {
    session.set('seen', now)
  }
  return sid
}

/** How old a cookie's last use may be before the cookie is re-issued: a tenth of the idle timeout, at most a minute. */
export function renewalWindow (idleMs: number): number {
  return Math.min(idleMs / 10, 60_000)
}

/** The user the cookie was issued for, if it says. */
export function readSessionUser (request: FastifyRequest): string | undefined {
  if (request.cookieIgnored) return undefined
  const usr = sessionOf(request).get('usr')
  return typeof usr === 'string' ? usr : undefined
}

export function writeSession (request: FastifyRequest, sid: string, user: string): void {
  const now = Date.now()
  const session = sessionOf(request)
  session.set('sid', sid)
  session.set('usr', user)
  session.set('iat', now)
  session.set('seen', now)
}

/** Adds the user to a cookie issued before the user name travelled in it. */
export function writeSessionUser (request: FastifyRequest, user: string): void {
  sessionOf(request).set('usr', user)
}

export function clearSession (request: FastifyRequest): void {
  sessionOf(request).delete()
}
