// A supervisor host's listener for gateways: the server end of wire.ts. Each
// call is authenticated first (cluster-auth.ts), then handed to the host's
// Dispatcher (cluster-supervisor.ts) exactly as the embedded path hands it:
// a DispatchRequest whose body is the wire's request stream, answered with
// the worker's status, headers and body, streamed back as it comes. An
// upgrade call's connection becomes the worker's socket (socket-bridge.ts)
// or, for an exec worker, a tunnel of its bytes.
import { createServer as createHttpServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream'
import type { Duplex, Readable } from 'node:stream'
import { deserialize } from 'node:v8'
import type { Logger } from 'pino'
import { isSessionId } from '@sessiond/session-store'
import { SOCKET_UPGRADE, socketOverStream } from '@sessiond/worker-sdk/transport'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { DispatchRequest, DispatchUpgrade, Dispatcher, UpgradeResult, WorkerResponse } from '../dispatcher.ts'
import { ClusterCallInvalidError, DeadlineError } from '../errors.ts'
import { WORKER_STATES } from '../operator-views.ts'
import type { WorkerAction, WorkerFilter } from '../operator-views.ts'
import type { CallVerifier } from './cluster-auth.ts'
import { bridgeSockets } from './socket-bridge.ts'
import {
  CALL_HEADER, CONTROL_PATH, DISPATCH_PATH, ERROR_HEADER, REPLY_HEADER, SIG_HEADER, TUNNEL_HEADER, UPGRADE_PATH, answerHeaders, decodeCall,
  encodeWireError, workerHeaders
} from './wire.ts'
import type { ControlCall, DispatchCall } from './wire.ts'

export interface DispatchServerOptions {
  dispatcher: Dispatcher
  verifier: CallVerifier
  host: string
  port: number
  logger: Logger
  /** The longest request head a gateway may send (its own clients' limit, plus the call header). */
  maxHeaderSize?: number
}

const STOP_REASONS: ReadonlySet<string> = new Set<StopReason>(['idle', 'logout', 'shutdown', 'crash', 'replaced', 'moved'])
const WORKER_ACTIONS: ReadonlySet<string> = new Set<WorkerAction>(['stop', 'hibernate', 'restart'])
const FILTER_KEYS = new Set(['realm', 'kind', 'state', 'user', 'session', 'usage'])
const REALM = /^[a-z][a-z0-9-]{0,62}$/

/** The status line and headers of an answer written onto a raw connection (an upgrade's). */
function head (status: number, reason: string, headers: string[]): string {
  let text = `HTTP/1.1 ${status} ${reason}\r\n`
  for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`
  return text + '\r\n'
}

function workerFilter (v: unknown): WorkerFilter {
  if (v === undefined) return {}
  if (typeof v !== 'object' || v === null) throw new ClusterCallInvalidError('workers: the filter is not an object')
  const f = v as Record<string, unknown>
  for (const k of Object.keys(f)) {
    if (!FILTER_KEYS.has(k)) throw new ClusterCallInvalidError(`workers: no filter ${k}`)
    if (k === 'usage' ? typeof f[k] !== 'boolean' : typeof f[k] !== 'string') throw new ClusterCallInvalidError(`workers: filter ${k}`)
  }
  if (f.state !== undefined && !(WORKER_STATES as readonly unknown[]).includes(f.state)) throw new ClusterCallInvalidError('workers: filter state')
  return f as WorkerFilter
}

function header (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return typeof v === 'string' ? v : undefined
}

function hasBody (req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

export class DispatchServer {
  #server: Server
  #dispatcher: Dispatcher
  #verifier: CallVerifier
  #log: Logger

  private constructor ({ dispatcher, verifier, logger, maxHeaderSize = 64 * 1024 }: DispatchServerOptions) {
    this.#dispatcher = dispatcher
    this.#verifier = verifier
    this.#log = logger
    const tls = verifier.serverOptions()
    const onRequest = (req: IncomingMessage, res: ServerResponse) => { void this.#handle(req, res) }
    // Gateways keep their connections: a long keep-alive spares a handshake per request.
    const common = { maxHeaderSize, keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 30_000 }
    this.#server = tls ? createHttpsServer({ ...common, ...tls }, onRequest) : createHttpServer(common, onRequest)
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, rest: Buffer) => { void this.#upgrade(req, socket, rest) })
  }

  static async listen (opts: DispatchServerOptions): Promise<DispatchServer> {
    const s = new DispatchServer(opts)
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject)
      s.#server.listen(opts.port, opts.host, () => {
        s.#server.off('error', reject)
        resolve()
      })
    })
    return s
  }

  get port (): number {
    return (this.#server.address() as AddressInfo).port
  }

  async #handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A gateway that gives up mid-body makes the stream fail: whoever reads it hears that; this keeps it from being uncaught.
    req.on('error', () => {})
    const call = this.#authenticate(req)
    if (call instanceof Error) return this.#fail(req, res, undefined, call)
    const url = req.url ?? ''
    if (call.k === 'dispatch' && url.startsWith(DISPATCH_PATH)) return this.#dispatch(req, res, call)
    if (call.k === 'control' && url === CONTROL_PATH + call.op) return this.#control(req, res, call)
    return this.#fail(req, res, call.n, new ClusterCallInvalidError(`nothing at ${req.method} ${url} for this call`))
  }

  /** The call a request carries, once it is known to come from an authenticated gateway; else why not (logged). */
  #authenticate (req: IncomingMessage): DispatchCall | ControlCall | Error {
    const value = header(req, CALL_HEADER)
    try {
      const call = decodeCall(value)
      this.#verifier.check(req.socket, req.method ?? '', value!, header(req, SIG_HEADER), call)
      return call
    } catch (err) {
      this.#log.warn({ err, remote: req.socket.remoteAddress }, 'refused a call that is not from an authenticated gateway')
      return err as Error
    }
  }

  async #dispatch (req: IncomingMessage, res: ServerResponse, call: DispatchCall): Promise<void> {
    if (call.dl !== undefined && Date.now() >= call.dl) return this.#fail(req, res, call.n, new DeadlineError())
    const dreq: DispatchRequest = {
      identity: { sessionId: call.sid, user: call.user },
      realm: call.realm,
      method: req.method ?? 'GET',
      url: call.url,
      headers: workerHeaders(req.rawHeaders, call.nh === 1),
      body: hasBody(req) ? req : null,
      ...(call.epoch !== undefined && { epoch: call.epoch }),
      ...(call.rid !== undefined && { requestId: call.rid }),
      ...(call.dl !== undefined && { deadline: call.dl })
    }
    let answer: WorkerResponse
    try {
      answer = await this.#dispatcher.dispatch(dreq)
    } catch (err) {
      return this.#fail(req, res, call.n, err)
    }
    const headers = answerHeaders(answer.headers)
    const sig = this.#verifier.signAnswer(call.n, answer.status, undefined)
    if (sig) headers.push(REPLY_HEADER, sig)
    const body = answer.body
    if (body === null) {
      res.writeHead(answer.status, headers)
      res.end()
      return
    }
    if (body instanceof Uint8Array) {
      // The length of what is sent, whatever the worker said.
      const own: string[] = []
      for (let i = 0; i < headers.length; i += 2) if (headers[i] !== 'content-length') own.push(headers[i], headers[i + 1])
      own.push('content-length', String(body.byteLength))
      res.writeHead(answer.status, own)
      res.end(body)
      return
    }
    res.writeHead(answer.status, headers)
    // The gateway going away destroys the worker's body too, which tells the worker.
    pipeline(body as Readable, res, (err) => {
      if (err && !res.destroyed) res.destroy(err)
    })
  }

  async #upgrade (req: IncomingMessage, socket: Duplex, rest: Buffer): Promise<void> {
    socket.on('error', () => { /* the gateway went away: 'close' ends whatever the connection carried */ })
    const call = this.#authenticate(req)
    if (call instanceof Error) return this.#failRaw(socket, undefined, call)
    if (call.k !== 'upgrade' || req.url !== UPGRADE_PATH + call.realm || req.headers.upgrade !== SOCKET_UPGRADE) {
      return this.#failRaw(socket, call.n, new ClusterCallInvalidError(`nothing at ${req.method} ${req.url} for this upgrade`))
    }
    if (call.dl !== undefined && Date.now() >= call.dl) return this.#failRaw(socket, call.n, new DeadlineError())
    let result: UpgradeResult
    try {
      const up: DispatchUpgrade = {
        identity: { sessionId: call.sid, user: call.user },
        realm: call.realm,
        method: 'GET',
        url: call.url,
        // The wire's hop-by-hop pair was its own: the worker's handshake says websocket, as the gateway's does.
        headers: [...workerHeaders(req.rawHeaders, call.nh === 1), 'upgrade', 'websocket', 'connection', 'Upgrade'],
        sendBuffer: call.sb!,
        ...(call.rs !== undefined && { resumed: { attachment: deserialize(Buffer.from(call.rs, 'base64url')) as unknown } }),
        ...(call.epoch !== undefined && { epoch: call.epoch }),
        ...(call.rid !== undefined && { requestId: call.rid }),
        ...(call.dl !== undefined && { deadline: call.dl })
      }
      result = await this.#dispatcher.upgrade(up)
    } catch (err) {
      return this.#failRaw(socket, call.n, err)
    }
    if (socket.destroyed) {
      // The gateway gave up meanwhile: what the worker opened closes with it.
      if (result.type === 'socket') result.socket.close(1001, 'going away')
      if (result.type === 'tunnel') result.stream.destroy()
      return
    }
    const sig = this.#verifier.signAnswer(call.n, result.type === 'refused' ? result.response.status : 101, undefined)
    const signed = (headers: string[]) => sig ? headers.concat(REPLY_HEADER, sig) : headers
    if (result.type === 'refused') {
      const { status, headers, body } = result.response
      const own = answerHeaders(headers).filter((_, i, a) => i % 2 === 0 ? a[i] !== 'content-length' : a[i - 1] !== 'content-length')
      // The connection ends with the answer: an upgrade's connection is never kept.
      if (body === null || body instanceof Uint8Array) {
        socket.write(head(status, 'Refused', signed(own.concat('content-length', String(body?.byteLength ?? 0), 'connection', 'close'))))
        socket.end(body ?? undefined)
        return
      }
      socket.write(head(status, 'Refused', signed(own.concat('connection', 'close'))))
      pipeline(body as Readable, socket, () => {})
      return
    }
    if (result.type === 'tunnel') {
      const tunnel = Buffer.from(JSON.stringify(result.headers)).toString('base64url')
      socket.write(head(101, 'Switching Protocols', signed(['upgrade', SOCKET_UPGRADE, 'connection', 'Upgrade', TUNNEL_HEADER, tunnel])))
      if (rest.byteLength > 0) result.stream.write(rest)
      pipeline(socket, result.stream, socket, () => {})
      return
    }
    const worker = result.socket
    socket.write(head(101, 'Switching Protocols', signed(['upgrade', SOCKET_UPGRADE, 'connection', 'Upgrade', ...answerHeaders([...worker.headers])])))
    bridgeSockets(worker, socketOverStream(socket, { end: 'worker', headers: [], head: rest }))
  }

  async #control (req: IncomingMessage, res: ServerResponse, { op, args, n }: ControlCall): Promise<void> {
    const str = (i: number): string => {
      if (typeof args[i] !== 'string') throw new ClusterCallInvalidError(`${op}: argument ${i} is not a string`)
      return args[i] as string
    }
    let result: unknown
    try {
      switch (op) {
        case 'stopSession': {
          const reason = args[1] === undefined ? 'logout' : str(1)
          if (!STOP_REASONS.has(reason)) throw new ClusterCallInvalidError(`stopSession: no stop reason ${reason}`)
          await this.#dispatcher.stopSession(str(0), reason as StopReason)
          result = null
          break
        }
        case 'sessions': result = await this.#dispatcher.sessions(); break
        case 'hosts': result = await this.#dispatcher.hosts(); break
        case 'placement': result = await this.#dispatcher.placement(str(0), str(1)); break
        case 'drain': {
          const deadlineMs = (args[1] as { deadlineMs?: unknown } | undefined)?.deadlineMs
          if (deadlineMs !== undefined && !(Number.isSafeInteger(deadlineMs) && (deadlineMs as number) > 0)) throw new ClusterCallInvalidError('drain: deadlineMs')
          result = await this.#dispatcher.drain(str(0), deadlineMs === undefined ? {} : { deadlineMs: deadlineMs as number })
          break
        }
        case 'migrate': result = await this.#dispatcher.migrate(str(0), str(1), str(2)); break
        case 'workers': result = await this.#dispatcher.workers(workerFilter(args[0])); break
        case 'workerAction': {
          const target = args[0] as { session?: unknown, realm?: unknown } | undefined
          if (typeof target?.session !== 'string' || typeof target.realm !== 'string') throw new ClusterCallInvalidError('workerAction: target')
          if (!WORKER_ACTIONS.has(str(1))) throw new ClusterCallInvalidError('workerAction: action')
          result = await this.#dispatcher.workerAction({ session: target.session, realm: target.realm }, str(1) as WorkerAction)
          break
        }
        case 'status': result = await this.#dispatcher.status(); break
        case 'startWorker': {
          const [sessionId, user, realm, epoch] = [str(0), str(1), str(2), args[3]]
          if (!isSessionId(sessionId) || user.length === 0 || user.length > 256 || !REALM.test(realm)) throw new ClusterCallInvalidError('startWorker: identity or realm')
          if (epoch !== undefined && !(Number.isSafeInteger(epoch) && (epoch as number) >= 0)) throw new ClusterCallInvalidError('startWorker: epoch')
          result = await this.#dispatcher.startWorker({ identity: { sessionId, user }, realm, ...(epoch !== undefined && { epoch: epoch as number }) })
          break
        }
        default: {
          const never: never = op
          throw new ClusterCallInvalidError(`unknown control call ${String(never)}`)
        }
      }
    } catch (err) {
      return this.#fail(req, res, n, err)
    }
    const text = JSON.stringify({ result })
    const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(text))]
    const sig = this.#verifier.signAnswer(n, 200, undefined)
    if (sig) headers.push(REPLY_HEADER, sig)
    res.writeHead(200, headers)
    res.end(text)
  }

  /** A coded error in the error header, with no body; signed when the call was authentic. */
  #fail (req: IncomingMessage, res: ServerResponse, n: string | undefined, err: unknown): void {
    const { status, value } = encodeWireError(err)
    if (status >= 500 && (err as { code?: string }).code !== 'SUP_ERR_CLOSED') this.#log.error({ err }, 'dispatch failed')
    const headers = [ERROR_HEADER, value, 'content-length', '0']
    const sig = n === undefined ? undefined : this.#verifier.signAnswer(n, status, value)
    if (sig) headers.push(REPLY_HEADER, sig)
    // A body nobody read would be the next request's start on a kept connection: close it instead.
    if (hasBody(req) && !req.complete) headers.push('connection', 'close')
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.writeHead(status, headers)
    res.end()
  }

  /** #fail for an upgrade's connection, which has no ServerResponse: the answer is written raw, then the connection ends. */
  #failRaw (socket: Duplex, n: string | undefined, err: unknown): void {
    const { status, value } = encodeWireError(err)
    if (status >= 500 && (err as { code?: string }).code !== 'SUP_ERR_CLOSED') this.#log.error({ err }, 'upgrade failed')
    const headers = [ERROR_HEADER, value, 'content-length', '0', 'connection', 'close']
    const sig = n === undefined ? undefined : this.#verifier.signAnswer(n, status, value)
    if (sig) headers.push(REPLY_HEADER, sig)
    if (!socket.destroyed) socket.end(head(status, 'Error', headers))
  }

  /** Stops taking calls; those in progress finish (their connections close once idle). */
  async close (): Promise<void> {
    const closed = new Promise<void>(resolve => this.#server.close(() => resolve()))
    this.#server.closeIdleConnections()
    const sweep = setInterval(() => this.#server.closeIdleConnections(), 50)
    try {
      await closed
    } finally {
      clearInterval(sweep)
    }
  }

  /** Cuts every connection at once. */
  destroy (): void {
    this.#server.closeAllConnections()
    this.#server.close()
  }
}
