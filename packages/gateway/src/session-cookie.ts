import fastifyCookie from '@fastify/cookie'
import fastifySecureSession from '@fastify/secure-session'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { isSessionId } from '@sessiond/session-store'

export const COOKIE_NAME = 'sessiond'

declare module '@fastify/secure-session' {
  interface SessionData {
    sid: string
    iat: number
  }
}

/**
 * The session cookie: the session id and its issue time, sealed with
 * libsodium's secretbox by @fastify/secure-session. A tampered, truncated
 * or foreign cookie opens as an empty session, never an error.
 */
export async function registerSessionCookie (app: FastifyInstance, key: Buffer, maxAgeMs: number): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifySecureSession, {
    key,
    cookieName: COOKIE_NAME,
    expiry: Math.ceil(maxAgeMs / 1000),
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false }
  })
}

/** The session id the cookie carries, if it opened and has the right shape. */
export function readSessionId (request: FastifyRequest): string | undefined {
  const sid = request.session.get('sid')
  return isSessionId(sid) ? sid : undefined
}

export function writeSession (request: FastifyRequest, sid: string): void {
  request.session.set('sid', sid)
  request.session.set('iat', Date.now())
  // Secure whenever the client reached us over HTTPS.
  request.session.options({ secure: request.protocol === 'https', httpOnly: true, sameSite: 'lax', path: '/' })
}

export function clearSession (request: FastifyRequest): void {
  request.session.delete()
}
