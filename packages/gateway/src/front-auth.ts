import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import { BadRemoteUserError, UntrustedAuthHeaderError } from './errors.ts'
import { startLoginSession } from './login-session.ts'
import { activeSessionId, readSessionUser } from './session-cookie.ts'
import { trustedPeer } from './trusted-peer.ts'

/** What a front server may name a user: enough for htpasswd, LDAP and Kerberos names, nothing that could be read two ways. */
const REMOTE_USER = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}$/

export interface FrontAuthOptions {
  /** The lower-case name of the header that carries the user name. */
  header: string
  trustProxy: readonly string[]
  store: SessionStore
  maxAge: number
  idleTimeout: number
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The user the front server authenticated for this request (auth mode `header`). */
    remoteUser?: string
  }
}

/**
 * Auth mode `header`: a front server (Apache mod_auth_basic, nginx
 * auth_request…) authenticates every request and names the user in
 * `header`. Only a peer in trustProxy may say so: the header from anyone
 * else is a 403, never believed. The named user gets a session of their
 * own: a cookie for another user (or none, or one past its idle timeout)
 * is replaced by a new session id, and the old session ends as at login.
 * A request the front server vouched for nobody carries no login, whatever
 * its cookie says (anonymous realms' own sessions aside).
 */
export function registerFrontAuth (app: FastifyInstance, { header, trustProxy, store, maxAge, idleTimeout }: FrontAuthOptions): RenewSession {
  const trusted = trustedPeer(trustProxy)
  app.addHook('onRequest', async (request) => {
    const value = request.headers[header]
    if (!trusted(request)) {
      if (value !== undefined) throw new UntrustedAuthHeaderError(header)
      ignoreLogin(request)
      return
    }
    // Node joins a repeated header with ", ": two names are no name.
    const user = typeof value === 'string' ? value.trim() : ''
    if (user === '') {
      ignoreLogin(request)
      return
    }
    if (!REMOTE_USER.test(user)) throw new BadRemoteUserError()
    request.remoteUser = user
    if (readSessionUser(request) === user && activeSessionId(request, idleTimeout) !== undefined) return
    await renewSession(request, user)
  })

  async function renewSession (request: FastifyRequest, user: string): Promise<string> {
    const sid = await startLoginSession(request, user, { store, maxAge })
    request.log.info({ event: 'login', user, via: 'front-server' }, 'login')
    return sid
  }

  return renewSession
}

/** A fresh session for the front server's user, for when the store no longer knows the cookie's (logout elsewhere, expiry). */
export type RenewSession = (request: FastifyRequest, user: string) => Promise<string>

function ignoreLogin (request: FastifyRequest): void {
  if (readSessionUser(request) !== 'anonymous') request.cookieIgnored = true
}
