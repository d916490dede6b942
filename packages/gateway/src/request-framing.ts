import type { IncomingMessage } from 'node:http'

/**
 * What Node's parser (llhttp, strict mode) lets through that a careful
 * front must still refuse, because a server behind it could frame the same
 * bytes differently (request smuggling, RFC 9112 §6.1 and §6.3). llhttp
 * already answers 400 for Content-Length with Transfer-Encoding, duplicate
 * or non-numeric Content-Length, a Transfer-Encoding that does not end in
 * chunked, obs-fold, and a space before the colon (see
 * test/request-framing.test.ts, which pins that behaviour).
 *
 * Answers why the request is refused, or null.
 */
export function framingProblem (req: IncomingMessage): string | null {
  const te = req.headers['transfer-encoding']
  if (te !== undefined) {
    // HTTP/1.0 has no chunked coding: a 1.0 message with Transfer-Encoding has faulty framing (RFC 9112 §6.1).
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return 'Transfer-Encoding in an HTTP/1.0 request'
    // "gzip, chunked" and the like: the coding under the chunks would reach the worker unannounced,
    // and a server behind us might read the list otherwise.
    if (te.trim().toLowerCase() !== 'chunked') return 'a Transfer-Encoding other than chunked'
  }
  let hosts = 0
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host' && ++hosts > 1) return 'more than one Host header'
  }
  // The host becomes part of the URL a worker parses: `Host: evil/admin` would
  // move the path the worker sees away from the one the router matched.
  const host = req.headers.host ?? req.headers[':authority']
  if (typeof host === 'string' && !AUTHORITY.test(host)) return 'a Host that is not a host name or address with an optional port'
  return null
}

/** uri-host [":" port] of RFC 9110 §7.2, for names in DNS form (IDNs come punycoded). */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]*)(?::[0-9]{0,5})?$/
