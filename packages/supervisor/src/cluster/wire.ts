// The wire between a gateway and a supervisor on another host: the
// Dispatcher's calls over HTTP/1.1 (remote-supervisor.ts is the client end,
// dispatch-server.ts the server end; both take their shapes from here).
//
//   gateway                                              supervisor
//   METHOD /_sessiond/v1/dispatch/<realm>  ─────────────▶  the worker request as it is:
//     x-sessiond-call: base64url(JSON DispatchCall)        method, headers, body streamed;
//     x-sessiond-sig: HMAC (mode hmac)                     identity, realm, epoch, URL,
//     …the worker request's own headers, body             request id and deadline in the call
//                                          ◀─────────────  the worker's answer as it is, or
//     status, headers (hop-by-hop and x-sessiond-*           status + x-sessiond-error: base64url(JSON)
//     removed), body streamed; x-sessiond-reply: HMAC        with no body
//   POST /_sessiond/v1/control/<op>        ─────────────▶  x-sessiond-call: JSON ControlCall (its
//                                          ◀─────────────  arguments inside, so signed); 200 JSON result
//
//   GET /_sessiond/v1/upgrade/<realm>      ─────────────▶  a WebSocket handshake: the call as for a
//     upgrade: sessiond-socket                             dispatch, with the send buffer and a parked
//                                                          socket's attachment (v8, base64url)
//                                          ◀─────────────  101: the connection carries the worker's socket
//                                                          channel (stream-port.ts), or with x-sessiond-tunnel
//                                                          an exec worker's bytes; else its refusal or an error
//
// The call header is the one place the supervisor takes identity from, and
// it is accepted only from an authenticated gateway (cluster-auth.ts): a
// mutual-TLS peer with a gateway certificate, or an HMAC over the method and
// the header with the cluster's secret, fresh and never seen before.
import { isSessionId } from '@sessiond/session-store'
import { ClusterCallInvalidError } from '../errors.ts'

export const WIRE_VERSION = 1
export const CALL_HEADER = 'x-sessiond-call'
export const SIG_HEADER = 'x-sessiond-sig'
export const ERROR_HEADER = 'x-sessiond-error'
export const REPLY_HEADER = 'x-sessiond-reply'
export const DISPATCH_PATH = '/_sessiond/v1/dispatch/'
export const CONTROL_PATH = '/_sessiond/v1/control/'
export const UPGRADE_PATH = '/_sessiond/v1/upgrade/'
/** On a 101 for an exec worker: base64url(JSON of its own 101's headers); the connection is then its bytes. */
export const TUNNEL_HEADER = 'x-sessiond-tunnel'

// Connection-level headers that no hop passes on (RFC 9110 §7.6.1): each side of the wire adds its own.
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'
])

/** One request for a worker, as the gateway resolved it; with k `upgrade`, a WebSocket handshake. */
export interface DispatchCall {
  v: typeof WIRE_VERSION
  k: 'dispatch' | 'upgrade'
  sid: string
  user: string
  realm: string
  epoch?: number
  /** The worker request's URL (absolute, below the realm's mount). */
  url: string
  /** The gateway's request id, for the supervisor's log lines. */
  rid?: string
  /** When the gateway gives up (ms since the epoch). */
  dl?: number
  /** When it was signed (ms since the epoch) and a nonce: a replayed call is refused. */
  ts: number
  n: string
  /** The request had no Host header (HTTP/2): the wire's own must not reach the worker. */
  nh?: 1
  /** upgrade: bytes of the worker's messages that may wait for a slow client. */
  sb?: number
  /** upgrade: a parked socket offered again: its attachment's v8 serialization, base64url. */
  rs?: string
}

export const CONTROL_OPS = ['stopSession', 'sessions', 'hosts', 'placement', 'drain', 'migrate', 'workers', 'workerAction', 'status', 'startWorker'] as const
export type ControlOp = typeof CONTROL_OPS[number]

/** One of the Dispatcher's other calls. */
export interface ControlCall {
  v: typeof WIRE_VERSION
  k: 'control'
  op: ControlOp
  args: unknown[]
  ts: number
  n: string
}

export type Call = DispatchCall | ControlCall

export function encodeCall (call: Call): string {
  return Buffer.from(JSON.stringify(call)).toString('base64url')
}

const REALM = /^[a-z][a-z0-9-]{0,62}$/

/** The one place where a call header becomes a call: anything else is SUP_ERR_CLUSTER_CALL (400). */
export function decodeCall (value: string | undefined): Call {
  let c: Record<string, unknown>
  try {
    c = JSON.parse(Buffer.from(value ?? '', 'base64url').toString()) as Record<string, unknown>
  } catch (err) {
    throw new ClusterCallInvalidError('not base64url JSON', { cause: err })
  }
  const bad = (what: string): never => { throw new ClusterCallInvalidError(what) }
  if (typeof c !== 'object' || c === null || c.v !== WIRE_VERSION) bad(`not version ${WIRE_VERSION}`)
  if (typeof c.ts !== 'number' || typeof c.n !== 'string' || c.n.length < 8 || c.n.length > 64) bad('no time and nonce')
  if (c.k === 'control') {
    if (!(CONTROL_OPS as readonly unknown[]).includes(c.op) || !Array.isArray(c.args)) bad('unknown control call')
    return c as unknown as ControlCall
  }
  if (c.k !== 'dispatch' && c.k !== 'upgrade') bad('unknown kind')
  if (typeof c.sid !== 'string' || !isSessionId(c.sid)) bad('sid')
  if (typeof c.user !== 'string' || c.user.length === 0 || c.user.length > 256) bad('user')
  if (typeof c.realm !== 'string' || !REALM.test(c.realm)) bad('realm')
  if (c.epoch !== undefined && !(Number.isSafeInteger(c.epoch) && (c.epoch as number) >= 0)) bad('epoch')
  if (typeof c.url !== 'string' || !/^https?:\/\//.test(c.url)) bad('url')
  if (c.rid !== undefined && (typeof c.rid !== 'string' || c.rid.length > 128)) bad('rid')
  if (c.dl !== undefined && typeof c.dl !== 'number') bad('dl')
  if (c.k === 'upgrade' && !(Number.isSafeInteger(c.sb) && (c.sb as number) > 0)) bad('sb')
  // An attachment is at most 2 KiB (the SDK's limit) before its encoding.
  if (c.rs !== undefined && (c.k !== 'upgrade' || typeof c.rs !== 'string' || c.rs.length > 4096)) bad('rs')
  return c as unknown as DispatchCall
}

/** A coded error as the wire carries it. */
export interface WireError {
  code: string
  message: string
  statusCode: number
  retryAfter?: number
}

export function encodeWireError (err: unknown): { status: number, value: string } {
  const e = err as { code?: unknown, message?: unknown, statusCode?: unknown, retryAfter?: unknown }
  const coded = typeof e?.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(e.code)
  const statusCode = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500
  const out: WireError = {
    code: coded ? e.code as string : 'SUP_ERR_INTERNAL',
    // A handler's or a library's own message stays on the host that logged it.
    message: coded && typeof e.message === 'string' ? e.message : 'internal error',
    statusCode
  }
  if (typeof e?.retryAfter === 'number') out.retryAfter = e.retryAfter
  return { status: statusCode, value: Buffer.from(JSON.stringify(out)).toString('base64url') }
}

/** An error the supervisor answered, rebuilt with its code, status and Retry-After. */
export class RemoteSupervisorError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly retryAfter?: number
  constructor ({ code, message, statusCode, retryAfter }: WireError) {
    super(message)
    this.name = 'RemoteSupervisorError'
    this.code = code
    this.statusCode = statusCode
    if (retryAfter !== undefined) this.retryAfter = retryAfter
  }
}

export function decodeWireError (value: string): RemoteSupervisorError {
  try {
    const e = JSON.parse(Buffer.from(value, 'base64url').toString()) as WireError
    if (typeof e.code === 'string' && typeof e.message === 'string' && typeof e.statusCode === 'number') return new RemoteSupervisorError(e)
  } catch {
    // Falls through to the generic error: an unreadable error header is still an error.
  }
  return new RemoteSupervisorError({ code: 'SUP_ERR_INTERNAL', message: 'internal error', statusCode: 502 })
}

/** The worker request's headers from the wire's: the wire's own and its connection-level headers removed. */
export function workerHeaders (raw: string[], noHost: boolean): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (HOP_BY_HOP.has(name) || name === CALL_HEADER || name === SIG_HEADER || (noHost && name === 'host')) continue
    out.push(name, raw[i + 1])
  }
  return out
}

/** A worker's answer headers for the wire: nothing it sets may pass for the supervisor's own. */
export function answerHeaders (headers: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i].toLowerCase()
    if (HOP_BY_HOP.has(name) || name.startsWith('x-sessiond-')) continue
    out.push(name, headers[i + 1])
  }
  return out
}
