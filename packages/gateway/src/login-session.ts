import type { FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import { renewCsrfToken } from './csrf-guard.ts'
import { readSessionId, writeSession } from './session-cookie.ts'

export interface LoginSessionOptions {
  store: SessionStore
  maxAge: number
}

/**
 * A session over (logout, or the login that replaces it): the store forgets
 * it, and its end stops the session's workers wherever they run — the one
 * path every end takes (the store's session-end event, daemon.ts).
 */
export async function endSession (store: SessionStore, sid: string): Promise<void> {
  await store.destroy(sid)
}

/**
 * A login, by the form (login.ts) or the front server (front-auth.ts): a new
 * session id every time, so that an id seen before the login is worth
 * nothing after it. Whatever session the cookie held ends, and the form
 * token is renewed with it. Answers the new session id.
 */
export async function startLoginSession (request: FastifyRequest, user: string, opts: LoginSessionOptions): Promise<string> {
  const previous = readSessionId(request)
  if (previous) await endSession(opts.store, previous)
  const session = await opts.store.create(user, opts.maxAge)
  writeSession(request, session.id, user)
  renewCsrfToken(request)
  return session.id
}
