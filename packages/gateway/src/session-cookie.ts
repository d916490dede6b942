import fastifyCookie from '@fastify/cookie'
import fastifySecureSession from '@fastify/secure-session'
import type { Session, SessionData } from '@fastify/secure-session'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isSessionId } from '@sessiond/session-store'

export const COOKIE_NAME = 'sessiond'
/** The cookie for HTTPS clients: `__Host-` makes browsers insist on Secure, Path=/ and no Domain. */
export const SECURE_COOKIE_NAME = '__Host-sessiond'

declare module 'fastify' {
  interface FastifyRequest {
    secureSession: Session<SessionData>
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

/**
 * The session cookie: the session id and its issue time, sealed with
 * libsodium's secretbox by @fastify/secure-session. A tampered, truncated
 * or foreign cookie opens as an empty session, never an error.
 */
export async function registerSessionCookie (app: FastifyInstance, keys: Buffer | Buffer[], maxAgeMs: number): Promise<void> {
  // The first key seals; cookies sealed under the others open and are re-sealed under the first.
  const key = Array.isArray(keys) ? keys : [keys]
  await app.register(fastifyCookie)
  const expiry = Math.ceil(maxAgeMs / 1000)
  // Two cookies, one per client scheme: a cookie set over HTTPS never travels
  // over plain HTTP, and one set over plain HTTP is never believed over HTTPS.
  await app.register(fastifySecureSession, [
    { sessionName: 'session', key, cookieName: COOKIE_NAME, expiry, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false } },
    { sessionName: 'secureSession', key, cookieName: SECURE_COOKIE_NAME, expiry, cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: true } }
  ])
}

/** The session cookie of this request's scheme (through a trusted proxy: the client's scheme). */
export function sessionOf (request: FastifyRequest): Session<SessionData> {
  return request.protocol === 'https' ? request.secureSession : request.session
}

/** The session id the cookie carries, if it opened and has the right shape. */
export function readSessionId (request: FastifyRequest): string | undefined {
  const sid = sessionOf(request).get('sid')
  return isSessionId(sid) ? sid : undefined
}

/**
 * The session id, unless the session has been idle through this cookie for
 * longer than `idleMs`. The last use travels sealed in the cookie, so the
 * check costs no store round trip; the cookie is re-issued when its time is
 * more than a tenth of `idleMs` (at most a minute) old. A copy of the cookie
 * taken earlier carries its own older time and dies first.
 */
export function activeSessionId (request: FastifyRequest, idleMs: number): string | undefined {
  const sid = readSessionId(request)
  if (sid === undefined || idleMs <= 0) return sid
  const now = Date.now()
  const session = sessionOf(request)
  const seen = session.get('seen') ?? session.get('iat')
  if (typeof seen !== 'number' || now - seen > idleMs) return undefined
  if (now - seen > Math.min(idleMs / 10, 60_000)) {
    session.set('seen', now)
  }
  return sid
}

/** The user the cookie was issued for, if it says. */
export function readSessionUser (request: FastifyRequest): string | undefined {
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

export function clearSession (request: FastifyRequest): void {
  sessionOf(request).delete()
}
