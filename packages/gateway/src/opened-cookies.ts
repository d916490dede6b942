import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Session, SessionData } from '@fastify/secure-session'

type Decode = (cookie: string | undefined, log?: FastifyBaseLogger, sessionName?: string) => Session<SessionData> | null

/** Enough for every session active at once on one gateway; beyond it the oldest opened cookie is opened again. */
const MAX_ENTRIES = 20_000

/**
 * Remembers what recent sealed cookies opened to, so that the next request
 * with the very same cookie skips base64, secretbox and JSON: opening the
 * cookie was the gateway's largest cost of its own per request (about 8 %
 * of the main thread's JS under bench/request-path.ts --cpu-prof, with
 * gc on top). Keyed by the sealed text itself, which nobody can forge, so a
 * hit is exactly what opening would give; the expiry is checked again on
 * every hit, and a cookie sealed under an older key is never kept (it must
 * open the slow way, to be re-sealed). Each request still gets a session
 * object of its own (`createSecureSession`).
 *
 * It wraps @fastify/secure-session's `decodeSecureSession` decorator, which
 * the plugin's own onRequest hook calls for every request.
 */
export function rememberOpenedCookies (app: FastifyInstance, expirySeconds: number, max = MAX_ENTRIES): void {
  const target = app as unknown as { decodeSecureSession: Decode, createSecureSession: (data: Record<string, unknown>) => Session<SessionData> }
  const open = target.decodeSecureSession.bind(app)
  const create = target.createSecureSession.bind(app)
  const opened = new Map<string, Readonly<Record<string, unknown>>>()
  target.decodeSecureSession = (cookie, log, sessionName = 'session') => {
    if (cookie === undefined) return open(cookie, log, sessionName)
    const key = sessionName + '\n' + cookie
    const hit = opened.get(key)
    if (hit) {
      if (((hit.__ts as number) + expirySeconds) * 1000 - Date.now() > 0) return create({ ...hit })
      opened.delete(key)
    }
    const session = open(cookie, log, sessionName)
    if (session && !session.changed) {
      if (opened.size >= max) opened.delete(opened.keys().next().value!)
      opened.set(key, Object.freeze({ ...session.data(), __ts: (session as unknown as { get (k: string): unknown }).get('__ts') }))
    }
    return session
  }
}
