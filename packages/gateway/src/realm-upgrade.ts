// A WebSocket handshake to a realm: the same rules as any request of the
// realm (session cookie, realm access), plus the socket's own (Origin,
// sockets per session, the handshake's timeout), then the worker's answer:
//
//   refused ─▶ its response, as for any request; the connection closes
//   socket  ─▶ the gateway completes the handshake (ws) and relays messages (web-socket-relay.ts)
//   tunnel  ─▶ the exec worker's own 101, then bytes both ways (client-tunnel.ts)
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { WebSocketServer } from 'ws'
import type { SessionStore } from '@sessiond/session-store'
import type { DispatchUpgrade, Dispatcher, UpgradeResult, WorkerSocket } from '@sessiond/supervisor'
import { ClientTunnel } from './client-tunnel.ts'
import type { Config, RealmConfig } from './config.ts'
import { BadHandshakeError, HandshakeTimeoutError, RealmForbiddenError, SocketOriginError, SupervisorGoneError, TooManySocketsError } from './errors.ts'
import { requestHeadersFor } from './forwarded-headers.ts'
import { denyUnauthenticated } from './login.ts'
import { realmAllows } from './realm-access.ts'
import { activeSessionId, readSessionUser } from './session-cookie.ts'
import type { SocketHub } from './socket-hub.ts'
import { socketOriginAllowed } from './socket-origin.ts'
import type { PendingUpgrade } from './upgrade-listener.ts'
import type { UserDirectory } from './user-directory.ts'
import { WebSocketRelay } from './web-socket-relay.ts'
import type { RelayLog } from './web-socket-relay.ts'
import { sendWorkerReply } from './worker-reply.ts'

export interface RealmUpgradeOptions {
  config: Config
  store: SessionStore
  dispatcher: Dispatcher
  users: UserDirectory
  hub: SocketHub
  /** One logger for every relay: a request's own child logger would stay alive with each socket. */
  log: RelayLog
}

/** Headers of the worker's that never go into the 101: the handshake's own are ws's to write. */
const NOT_FORWARDED = new Set(['connection', 'upgrade', 'sec-websocket-accept', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length', 'transfer-encoding'])

/** The socket a handshake's worker took, for ws's protocol choice and extra headers. */
const taken = new WeakMap<IncomingMessage, WorkerSocket>()

function headerOf (list: readonly string[], name: string): string | undefined {
  for (let i = 0; i < list.length; i += 2) if (list[i].toLowerCase() === name) return list[i + 1]
  return undefined
}

/** What RFC 6455 §4.2.1 asks of a handshake, checked before any worker sees it. */
function handshakeProblem (request: FastifyRequest): string | null {
  if (request.method !== 'GET') return 'a WebSocket handshake is a GET'
  if (request.headers['sec-websocket-version'] !== '13') return 'Sec-WebSocket-Version must be 13'
  const key = request.headers['sec-websocket-key']
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return 'Sec-WebSocket-Key must be 16 bytes in base64'
  return null
}

/** What a result holds, let go of when nobody takes it (the client left, the handshake timed out). */
function discard (result: UpgradeResult): void {
  if (result.type === 'socket') result.socket.abort(new Error('the client went away before the handshake ended'))
  else if (result.type === 'tunnel') result.stream.destroy()
  else if (result.response.body && !(result.response.body instanceof Uint8Array)) result.response.body.destroy()
}

export class RealmUpgrades {
  readonly #opts: RealmUpgradeOptions
  /** One ws server per realm definition: its message limit is the realm's. A reload makes new ones. */
  readonly #servers = new WeakMap<RealmConfig, WebSocketServer>()

  constructor (opts: RealmUpgradeOptions) {
    this.#opts = opts
  }

  async handle (realm: RealmConfig, csp: string | null, request: FastifyRequest, reply: FastifyReply, { socket, head }: PendingUpgrade): Promise<FastifyReply> {
    const { config, store, dispatcher, users, hub } = this.#opts
    if (!hub.open) throw new SupervisorGoneError()
    const problem = handshakeProblem(request)
    if (problem) throw new BadHandshakeError(problem)
    const limits = realm.webSocket
    if (!socketOriginAllowed(request, limits.origins)) throw new SocketOriginError(request.headers.origin)
    const form = config.auth.mode === 'form'
    // A handshake carries the cookie its page got: a socket never starts a session of its own.
    const sessionId = activeSessionId(request, config.session.idleTimeout)
    if (sessionId === undefined) return denyUnauthenticated(request, reply, form)
    const user = readSessionUser(request) ?? (await store.lookup(sessionId))?.user
    if (user === undefined) return denyUnauthenticated(request, reply, form)
    if (realm.allow && realm.auth !== 'anonymous' && !(await realmAllows(realm.allow, user, users))) throw new RealmForbiddenError()
    if (hub.count(sessionId, realm.name) >= limits.maxPerSession) throw new TooManySocketsError(limits.maxPerSession)

    const call: DispatchUpgrade = {
      identity: { sessionId, user },
      realm: realm.name,
      method: 'GET',
      url: `${request.protocol}://${request.host || 'localhost'}${request.url.slice(realm.mount.length)}`,
      // The handshake's own headers go on (Sec-WebSocket-*); the hop-by-hop pair says what this is.
      headers: [...requestHeadersFor(request, request.publicPrefix + realm.mount, form ? '' : config.auth.header), 'upgrade', 'websocket', 'connection', 'Upgrade'],
      sendBuffer: limits.sendBuffer
    }
    let result: UpgradeResult
    try {
      result = await within(dispatcher.upgrade(call), limits.handshakeTimeout)
    } catch (err) {
      if ((err as { code?: string }).code === 'SUP_ERR_NO_SESSION') return denyUnauthenticated(request, reply, form)
      throw err
    }
    if (socket.destroyed) {
      discard(result)
      return reply.hijack()
    }
    if (result.type === 'refused') return sendWorkerReply(reply, result.response, csp)
    reply.hijack()
    reply.raw.detachSocket(socket as never)
    if (result.type === 'tunnel') {
      new ClientTunnel(socket, head, result.stream, result.headers, { sessionId, realm: realm.name }, hub) // eslint-disable-line no-new
      return reply
    }
    this.#accept(realm, request.raw, socket, head, result.socket, call)
    return reply
  }

  /**
   * Completes the handshake with ws and starts the relay. Apart from
   * `handle` on purpose: the closures made here outlive the handshake with
   * the socket, and must not keep the request, its reply or their raw
   * objects alive with them.
   */
  #accept (realm: RealmConfig, raw: IncomingMessage, socket: Duplex, head: Buffer, link: WorkerSocket, call: DispatchUpgrade): void {
    taken.set(raw, link)
    // ws answers a handshake it cannot complete with 400 and closes: the worker's end goes with it.
    const failed = () => link.abort(new Error('the handshake failed'))
    socket.once('close', failed)
    const { hub, dispatcher, log } = this.#opts
    this.#server(realm).handleUpgrade(raw, socket, head, (ws) => {
      socket.off('close', failed)
      taken.delete(raw)
      new WebSocketRelay(ws, link, call, hub, dispatcher, log) // eslint-disable-line no-new
    })
  }

  #server (realm: RealmConfig): WebSocketServer {
    let wss = this.#servers.get(realm)
    if (wss) return wss
    wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // Compression costs memory per socket; a realm's payloads are the worker's business.
      perMessageDeflate: false,
      maxPayload: realm.webSocket.maxMessage,
      handleProtocols: (protocols, req) => {
        const chosen = headerOf(taken.get(req)?.headers ?? [], 'sec-websocket-protocol')
        return chosen !== undefined && protocols.has(chosen) ? chosen : false
      }
    })
    wss.on('headers', (lines, req) => {
      const h = taken.get(req)?.headers ?? []
      for (let i = 0; i < h.length; i += 2) if (!NOT_FORWARDED.has(h[i].toLowerCase())) lines.push(`${h[i]}: ${h[i + 1]}`)
    })
    this.#servers.set(realm, wss)
    return wss
  }
}

/** The worker's answer within the handshake timeout; one that comes later is let go of. */
function within (answer: Promise<UpgradeResult>, ms: number): Promise<UpgradeResult> {
  if (ms <= 0) return answer
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      answer.then(discard, () => { /* nobody is waiting for it */ })
      reject(new HandshakeTimeoutError(ms))
    }, ms)
    answer.then((r) => { clearTimeout(timer); resolve(r) }, (err: unknown) => { clearTimeout(timer); reject(err) })
  })
}
