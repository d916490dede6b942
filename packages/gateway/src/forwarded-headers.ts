import type { FastifyRequest } from 'fastify'
import { COOKIE_NAME, PREFIXED_SECURE_COOKIE_NAME, SECURE_COOKIE_NAME } from './session-cookie.ts'

// Connection-level headers that a proxy must not pass on (RFC 9110 §7.6.1),
// plus the ones the gateway sets itself so that a client cannot spoof them.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'
])
// `Expect: 100-continue` is the gateway's to answer (Node's server sends the 100 before the
// route runs): the body is already on its way, so a worker must not wait to send one itself.
const REQUEST_ONLY = new Set(['expect'])
const OURS = new Set([
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-prefix',
  'x-sessiond-user', 'x-request-id', 'forwarded'
])

/** Headers named in `Connection` are hop-by-hop too. */
function connectionTokens (value: string | string[] | undefined): Set<string> | null {
  if (!value) return null
  const tokens = (Array.isArray(value) ? value.join(',') : value).toLowerCase().split(',').map(s => s.trim()).filter(Boolean)
  return tokens.length > 0 ? new Set(tokens) : null
}

const isOurs = (name: string): boolean => name === COOKIE_NAME || name === SECURE_COOKIE_NAME || name === PREFIXED_SECURE_COOKIE_NAME

/** Drops our own session cookies from a Cookie header, keeping the realm's cookies. */
function withoutSessionCookie (cookie: string): string {
  if (!cookie.includes(COOKIE_NAME)) return cookie
  // The common case, a client that holds only our cookie, without splitting and joining.
  if (!cookie.includes(';')) return isOurs(cookie.slice(0, cookie.indexOf('=')).trim()) ? '' : cookie
  return cookie.split(';').filter(part => !isOurs(part.trim().split('=', 1)[0])).join(';').trim()
}

/**
 * The request headers a worker sees: the client's minus hop-by-hop ones and
 * our session cookie, plus X-Forwarded-* and the request id from the gateway.
 * X-Sessiond-User is always stripped here; the worker kind that needs it
 * (exec) adds it from the session's identity. So is `dropped` (the front
 * server's user header in auth mode `header`): a worker takes its user from
 * the session, never from a header it cannot tell the origin of.
 */
export function requestHeadersFor (request: FastifyRequest, prefix: string, dropped = ''): string[] {
  const raw = request.raw.rawHeaders
  const extra = connectionTokens(request.headers.connection)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not headers a worker can take.
    if (name.charCodeAt(0) === 58 /* : */) continue
    if (HOP_BY_HOP.has(name) || OURS.has(name) || REQUEST_ONLY.has(name) || extra?.has(name) || name === dropped) continue
    if (name === 'cookie') {
      const kept = withoutSessionCookie(raw[i + 1])
      if (kept) out.push(name, kept)
      continue
    }
    out.push(name, raw[i + 1])
  }
  out.push(
    'x-forwarded-for', request.ip,
    'x-forwarded-proto', request.protocol,
    'x-forwarded-host', request.host,
    'x-forwarded-prefix', prefix,
    'x-request-id', String(request.id)
  )
  return out
}

/** Response headers a worker may set: hop-by-hop ones are dropped. */
export function isForwardableResponseHeader (name: string): boolean {
  return !HOP_BY_HOP.has(name)
}
