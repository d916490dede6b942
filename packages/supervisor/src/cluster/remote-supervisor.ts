// The client end of wire.ts: one supervisor host, reached over HTTP/1.1 by
// an undici Pool with keep-alive (HTTP/2 is not measured yet: the issue's
// "if it measures better" is open). A request's body streams to the host and its answer
// streams back; a small answer of known length is read whole, as a child
// worker's is, so that the gateway writes it in one go.
import { setMaxListeners } from 'node:events'
import type { Duplex, Readable } from 'node:stream'
import { serialize } from 'node:v8'
import { Pool } from 'undici'
import type { Dispatcher as UndiciDispatcher } from 'undici'
import { SOCKET_UPGRADE, socketOverStream } from '@sessiond/worker-sdk/transport'
import type { DispatchRequest, DispatchUpgrade, UpgradeResult, WorkerResponse } from '../dispatcher.ts'
import { ClusterAuthError, HostLostError } from '../errors.ts'
import { upgradeRequest } from '../upgrade-request.ts'
import type { CallSigner } from './cluster-auth.ts'
import { nonce } from './cluster-auth.ts'
import {
  CALL_HEADER, CONTROL_PATH, DISPATCH_PATH, ERROR_HEADER, HOP_BY_HOP, REPLY_HEADER, SIG_HEADER, TUNNEL_HEADER, UPGRADE_PATH, WIRE_VERSION, decodeWireError,
  encodeCall
} from './wire.ts'
import type { ControlOp, DispatchCall } from './wire.ts'

/** Answers up to this length are read whole rather than streamed. */
const WHOLE_BODY_BYTES = 64 * 1024

export interface RemoteSupervisorOptions {
  host: string
  /** Its dispatch listener, as it advertises it: https://10.0.0.11:7100. */
  address: string
  signer: CallSigner
  /** Connections kept to the host. */
  connections?: number
  /** How long a connection attempt may take before the host counts as unreachable. */
  connectTimeoutMs?: number
  /** Longest wait for an answer's head: the gateway's own request timeout. */
  headersTimeoutMs?: number
}

/** How a call failed to reach its host, if that is why it failed: nothing sent (`refused`), or cut off mid-exchange (`lost`). */
export type Unreached = 'refused' | 'lost'

const LOST_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_ABORTED', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'ECONNABORTED', 'ETIMEDOUT'])

export function unreached (err: unknown): Unreached | null {
  const e = err as { code?: string, syscall?: string, name?: string }
  if (e?.code === 'UND_ERR_CONNECT_TIMEOUT' || e?.syscall === 'connect' || e?.syscall === 'getaddrinfo' || e?.code === 'EHOSTUNREACH' || e?.code === 'ENETUNREACH') return 'refused'
  if (e?.code === 'SUP_ERR_HOST_LOST' || (e?.code !== undefined && LOST_CODES.has(e.code)) || e?.name === 'AbortError') return 'lost'
  // A TLS failure to a member's address: whatever answers there is not that member.
  if (e?.code?.startsWith('ERR_TLS') || e?.code === 'SUP_ERR_CLUSTER_AUTH') return 'refused'
  return null
}

function toHeaderList (h: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = []
  for (const name in h) {
    if (name.startsWith('x-sessiond-')) continue
    const v = h[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const one of v) out.push(name, one)
    else out.push(name, v)
  }
  return out
}

function hasHost (headers: string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'host') return true
  return false
}

/** The call header's content for a request (or a handshake) to a worker, as this gateway resolved it. */
function dispatchCall (k: DispatchCall['k'], req: DispatchRequest | DispatchUpgrade, epoch: number): DispatchCall {
  return {
    v: WIRE_VERSION,
    k,
    sid: req.identity.sessionId,
    user: req.identity.user,
    realm: req.realm,
    epoch,
    url: req.url,
    ts: Date.now(),
    n: nonce(),
    ...(req.requestId !== undefined && { rid: req.requestId }),
    ...(req.deadline !== undefined && { dl: req.deadline }),
    ...(!hasHost(req.headers) && { nh: 1 as const })
  }
}

export class RemoteSupervisor {
  readonly host: string
  readonly address: string
  #pool: Pool
  #signer: CallSigner
  #lost = RemoteSupervisor.#controller()
  #headersTimeoutMs: number
  /** Upgraded connections (WebSockets) to this host: cut when it is lost, so their clients hear it at once. */
  #sockets = new Set<Duplex>()

  /** Every request in progress listens to it: no limit on how many. */
  static #controller (): AbortController {
    const c = new AbortController()
    setMaxListeners(0, c.signal)
    return c
  }

  constructor ({ host, address, signer, connections = 64, connectTimeoutMs = 1000, headersTimeoutMs = 300_000 }: RemoteSupervisorOptions) {
    this.host = host
    this.address = address
    this.#signer = signer
    this.#headersTimeoutMs = headersTimeoutMs
    this.#pool = new Pool(address, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: headersTimeoutMs,
      bodyTimeout: 0,
      connect: { ...signer.connectOptions(host), timeout: connectTimeoutMs, keepAlive: true }
    })
  }

  /** The host's lease ran out: what is still waiting on it is cut off, to be sent where its sessions went. */
  lost (): void {
    this.#lost.abort()
    this.#lost = RemoteSupervisor.#controller()
    for (const s of this.#sockets) s.destroy()
  }

  /** One request for a worker on this host, under the placement `epoch`; `body` is this attempt's. */
  async dispatch (req: DispatchRequest, epoch: number, body: Readable | null): Promise<WorkerResponse> {
    const call = dispatchCall('dispatch', req, epoch)
    const value = encodeCall(call)
    const headers = req.headers.concat(CALL_HEADER, value)
    const sig = this.#signer.sign(req.method, value)
    if (sig) headers.push(SIG_HEADER, sig)
    const res = await this.#pool.request({
      path: DISPATCH_PATH + req.realm,
      method: req.method as UndiciDispatcher.HttpMethod,
      headers,
      body,
      signal: this.#lost.signal
    })
    const error = this.#checkAnswer(call.n, res)
    if (error) {
      res.body.dump().catch(() => { /* an error answer has no body worth reading */ })
      throw error
    }
    const list = toHeaderList(res.headers)
    const length = res.headers['content-length']
    if (typeof length === 'string' && Number(length) <= WHOLE_BODY_BYTES) {
      try {
        return { status: res.statusCode, headers: list, body: new Uint8Array(await res.body.arrayBuffer()) }
      } catch (err) {
        throw new HostLostError(req.realm, { cause: err })
      }
    }
    return { status: res.statusCode, headers: list, body: res.body as unknown as Readable }
  }

  /**
   * A WebSocket handshake for a worker on this host, on a connection of its
   * own: once the host answers 101, the connection carries the worker's
   * socket channel (or an exec worker's bytes).
   */
  async upgrade (req: DispatchUpgrade, epoch: number): Promise<UpgradeResult> {
    const call: DispatchCall = {
      ...dispatchCall('upgrade', req, epoch),
      sb: req.sendBuffer,
      ...(req.resumed && { rs: serialize(req.resumed.attachment).toString('base64url') })
    }
    const value = encodeCall(call)
    // The wire's own upgrade, in place of the client's (the supervisor says websocket to its worker again).
    const headers: string[] = []
    for (let i = 0; i < req.headers.length; i += 2) if (!HOP_BY_HOP.has(req.headers[i].toLowerCase())) headers.push(req.headers[i], req.headers[i + 1])
    headers.push(CALL_HEADER, value, 'connection', 'Upgrade', 'upgrade', SOCKET_UPGRADE)
    const sig = this.#signer.sign('GET', value)
    if (sig) headers.push(SIG_HEADER, sig)
    const url = new URL(this.address)
    const tls = this.#signer.connectOptions(this.host)
    const got = await upgradeRequest(
      { host: url.hostname, port: Number(url.port), ...(tls && { tls }) }, UPGRADE_PATH + req.realm, headers, this.#headersTimeoutMs, this.#lost.signal)
    const answer = got.type === 'refused' ? got.response.headers : got.headers
    const field = (name: string) => { const i = answer.indexOf(name); return i >= 0 && i % 2 === 0 ? answer[i + 1] : undefined }
    const status = got.type === 'refused' ? got.response.status : 101
    const error = field(ERROR_HEADER)
    if (!this.#signer.answerIsGenuine(call.n, status, error, field(REPLY_HEADER))) {
      if (got.type === 'upgraded') got.socket.destroy()
      throw new ClusterAuthError(`the answer from ${this.host} is not signed with the cluster's secret (is cluster.auth the same on every host?)`)
    }
    if (got.type === 'refused') {
      if (error !== undefined) throw decodeWireError(error)
      const own: string[] = []
      for (let i = 0; i < answer.length; i += 2) if (!answer[i].startsWith('x-sessiond-') && answer[i] !== 'connection') own.push(answer[i], answer[i + 1])
      return { type: 'refused', response: { status, headers: own, body: got.response.body } }
    }
    const socket = got.socket
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    const tunnel = field(TUNNEL_HEADER)
    if (tunnel !== undefined) {
      if (got.head.byteLength > 0) socket.unshift(got.head)
      let list: unknown
      try {
        list = JSON.parse(Buffer.from(tunnel, 'base64url').toString())
      } catch { /* checked below */ }
      if (!Array.isArray(list) || list.length % 2 !== 0 || !list.every(h => typeof h === 'string')) {
        socket.destroy()
        throw new HostLostError(req.realm, { cause: new Error(`${this.host} answered a tunnel with unreadable headers`) })
      }
      return { type: 'tunnel', headers: list as string[], stream: socket }
    }
    const own: string[] = []
    for (let i = 0; i < answer.length; i += 2) {
      const name = answer[i]
      if (name !== 'connection' && name !== 'upgrade' && !name.startsWith('x-sessiond-')) own.push(name, answer[i + 1])
    }
    const channel = socketOverStream(socket, { end: 'supervisor', headers: own, head: got.head })
    channel.queueLimit = req.sendBuffer
    return { type: 'socket', socket: channel }
  }

  /** One of the Dispatcher's other calls on this host; answers its result. */
  async control<T> (op: ControlOp, args: unknown[], timeoutMs = 30_000): Promise<T> {
    const n = nonce()
    const value = encodeCall({ v: WIRE_VERSION, k: 'control', op, args, ts: Date.now(), n })
    const headers = [CALL_HEADER, value]
    const sig = this.#signer.sign('POST', value)
    if (sig) headers.push(SIG_HEADER, sig)
    const res = await this.#pool.request({ path: CONTROL_PATH + op, method: 'POST', headers, headersTimeout: timeoutMs, signal: this.#lost.signal })
    const error = this.#checkAnswer(n, res)
    if (error) {
      await res.body.dump().catch(() => {})
      throw error
    }
    return (await res.body.json() as { result: T }).result
  }

  /** The coded error the host answered, or one for an answer that is not the host's own. */
  #checkAnswer (n: string, res: UndiciDispatcher.ResponseData): Error | undefined {
    const h = res.headers
    const error = typeof h[ERROR_HEADER] === 'string' ? h[ERROR_HEADER] as string : undefined
    const reply = typeof h[REPLY_HEADER] === 'string' ? h[REPLY_HEADER] as string : undefined
    if (!this.#signer.answerIsGenuine(n, res.statusCode, error, reply)) {
      return new ClusterAuthError(`the answer from ${this.host} is not signed with the cluster's secret (is cluster.auth the same on every host?)`)
    }
    return error === undefined ? undefined : decodeWireError(error)
  }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await this.#pool.close().catch(() => this.#pool.destroy())
  }
}
