// Who is calling the admin API, and what they may do. Three ways in:
//
//   Authorization: Bearer sdadm_…  a token from `sessiond admin token create` (read, or act)
//   the session cookie             a logged-in user in the admin group (config admin.group): read and act;
//                                  a state-changing request must come from this origin and carry
//                                  X-Sessiond-Csrf (the cookie's form token), so no other site can act
//   the control socket             whoever can open <dataDir>/control.sock (mode 0600): read and act
//
// A plain user's session is refused (403) whatever it asks: the admin group is looked up on every request.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import { crossSiteReason, matchesCsrfToken } from '../csrf-guard.ts'
import { AdminForbiddenError, AdminRequiredError, CrossSiteRequestError } from '../errors.ts'
import { activeSessionId, readSessionUser } from '../session-cookie.ts'
import type { UserDirectory } from '../user-directory.ts'
import type { AdminScope, AdminTokens } from './admin-tokens.ts'

export const CSRF_HEADER = 'x-sessiond-csrf'

export interface AdminCaller {
  /** Who, for the log of every action: `user:alice`, `token:deploy-bot`, `socket`. */
  who: string
  scopes: ReadonlySet<AdminScope>
  via: 'cookie' | 'token' | 'socket'
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin API's caller, once admin-auth resolved them. */
    adminCaller?: AdminCaller
  }
}

export interface AdminAuthOptions {
  store: SessionStore
  users: UserDirectory
  tokens: AdminTokens
  group: string
  idleTimeout: number
}

const READ: ReadonlySet<AdminScope> = new Set(['read'])
const ALL: ReadonlySet<AdminScope> = new Set(['read', 'act'])
export const SOCKET_CALLER: AdminCaller = { who: 'socket', scopes: ALL, via: 'socket' }

/** Resolves the caller of a request, or throws 401 (no one) / 403 (someone who is not an admin). */
export function adminCaller ({ store, users, tokens, group, idleTimeout }: AdminAuthOptions) {
  return async (request: FastifyRequest): Promise<AdminCaller> => {
    if (request.adminCaller) return request.adminCaller
    const auth = request.headers.authorization
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth)
      const token = m ? await tokens.verify(m[1]) : null
      if (!token) throw new AdminRequiredError()
      return (request.adminCaller = { who: `token:${token.name}`, scopes: token.scope === 'act' ? ALL : READ, via: 'token' })
    }
    const sid = activeSessionId(request, idleTimeout)
    const user = readSessionUser(request)
    // A cookie outlives its session (logout, expiry, end by an admin): the store has the last word.
    const record = sid !== undefined && user !== undefined ? await store.lookup(sid) : null
    if (!record || record.user !== user) throw new AdminRequiredError()
    if (!(await users.groups(record.user)).includes(group)) throw new AdminForbiddenError(`${record.user} is not in the ${group} group`)
    return (request.adminCaller = { who: `user:${record.user}`, scopes: ALL, via: 'cookie' })
  }
}

/** A preHandler: the caller must hold `scope`; an action by cookie must come from this origin with the form token. */
export function requireAdmin (resolve: (request: FastifyRequest) => Promise<AdminCaller>, scope: AdminScope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const caller = await resolve(request)
    if (!caller.scopes.has(scope)) throw new AdminForbiddenError(`${caller.who} may ${[...caller.scopes].join(', ')}, not ${scope}`)
    if (caller.via !== 'cookie' || request.method === 'GET' || request.method === 'HEAD') return
    const reason = crossSiteReason(request)
    if (reason !== null) throw new CrossSiteRequestError(`cross-site request: ${reason}`)
    if (!matchesCsrfToken(request, request.headers[CSRF_HEADER])) throw new CrossSiteRequestError(`missing or stale ${CSRF_HEADER} header`)
  }
}
