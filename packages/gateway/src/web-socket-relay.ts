// One client's WebSocket, terminated here and relayed to its worker.
//
//   client ──ws──▶ relay ── link.send ──▶ worker   (link: the worker's end, a WorkerSocket)
//          ◀──ws── relay ◀── 'message' ── worker
//
// Backpressure both ways: a worker whose window is full (`send` false)
// pauses the client's socket until 'drain'; a client that does not read
// (ws.bufferedAmount past HIGH_WATER) pauses the link, so the worker's
// `send` soon answers false and its bufferedAmount grows; one that goes on
// sending anyway fills the link's queue and the socket closes with 1013.
//
// Parking: when the worker hibernates, its end closes with `parked`; the
// relay keeps the client's socket open (ws answers its pings) with the
// attachment, and the client's next message wakes the hub's parked sockets
// of the session and realm: each is offered again to the worker that
// resumes (`dispatcher.upgrade` with `resumed`), then the message follows.
import type { WebSocket } from 'ws'
import type { DispatchUpgrade, Dispatcher, WorkerSocket } from '@sessiond/supervisor'
import type { Parked, SocketClose, SocketData } from '@sessiond/worker-sdk/transport'
import type { HeldSocket, SocketHub } from './socket-hub.ts'

/** Bytes queued towards a client past which the worker's messages stop being taken. */
export const HIGH_WATER = 64 * 1024
/** How long a closed socket waits for the client's answer before the connection is cut. */
const CLOSE_WAIT_MS = 2000

/** Codes an endpoint may send in a close frame (RFC 6455 §7.4); others become 1011. */
function sendable (code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
}

/** A client's message as the worker gets it: text as a string, bytes of their own (a view would clone its whole buffer). */
function toWorker (data: Buffer, isBinary: boolean): SocketData {
  if (!isBinary) return data.toString('utf8')
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? new Uint8Array(data.buffer) : new Uint8Array(data)
}

export interface RelayLog {
  debug (obj: object, msg: string): void
  warn (obj: object, msg: string): void
}

export class WebSocketRelay implements HeldSocket {
  readonly sessionId: string
  readonly realm: string
  readonly closed: Promise<void>
  readonly #ws: WebSocket
  readonly #hub: SocketHub
  readonly #dispatcher: Dispatcher
  /** The handshake as the worker got it: offered again, with `resumed`, after hibernation. */
  readonly #call: DispatchUpgrade
  readonly #log: RelayLog
  #link: WorkerSocket | null = null
  #state: 'live' | 'parked' | 'waking' | 'closed' = 'live'
  #parkedWith: Parked | null = null
  /** Client messages not yet taken by the worker: while it is full, parked or waking. */
  #inbox: SocketData[] = []
  #clientPaused = false
  #linkPaused = false
  #alive = true

  constructor (ws: WebSocket, link: WorkerSocket, call: DispatchUpgrade, hub: SocketHub, dispatcher: Dispatcher, log: RelayLog) {
    this.#ws = ws
    this.#hub = hub
    this.#dispatcher = dispatcher
    this.#call = call
    this.#log = log
    this.sessionId = call.identity.sessionId
    this.realm = call.realm
    this.closed = new Promise(resolve => ws.once('close', () => resolve()))
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.#inbox.push(toWorker(data, isBinary))
      this.#pump()
    })
    ws.on('pong', () => { this.#alive = true })
    ws.on('error', (err) => this.#log.debug({ err }, 'websocket client error'))
    ws.once('close', (code: number, reason: Buffer) => this.#clientClosed(code, reason.toString()))
    hub.add(this)
    this.#bind(link)
  }

  get parked (): boolean { return this.#state === 'parked' }

  heartbeat (): boolean {
    if (this.#state === 'closed') return true
    if (!this.#alive) {
      this.#log.debug({}, 'websocket client did not answer its ping; cutting it')
      this.#ws.terminate()
      return false
    }
    this.#alive = false
    this.#ws.ping()
    return true
  }

  end (code: number, reason: string): void {
    if (this.#state === 'closed') return
    this.#link?.close(code, reason)
    this.#closeClient(code, reason)
  }

  wake (): Promise<void> {
    if (this.#state !== 'parked') return Promise.resolve()
    this.#state = 'waking'
    return this.#dispatcher.upgrade({ ...this.#call, resumed: this.#parkedWith! }).then((result) => {
      if (result.type !== 'socket') {
        if (result.type === 'tunnel') result.stream.destroy()
        else if (result.response.body && !(result.response.body instanceof Uint8Array)) result.response.body.destroy()
        const refused = result.type === 'refused' ? result.response.status : 0
        return this.#closeClient(refused === 401 || refused === 403 ? 1008 : 1011, 'the worker did not take the socket back')
      }
      if (this.#state !== 'waking') return result.socket.close(1001, 'client went away')
      this.#parkedWith = null
      this.#state = 'live'
      this.#bind(result.socket)
    }, (err: { code?: string }) => {
      this.#log.warn({ err }, 'resuming the worker of a parked websocket failed')
      this.#closeClient(err.code === 'SUP_ERR_NO_SESSION' ? 1008 : 1011, 'the worker could not resume')
    })
  }

  flush (): void {
    this.#pump()
  }

  #bind (link: WorkerSocket): void {
    this.#link = link
    link.on('message', (data: SocketData) => {
      const ws = this.#ws
      const binary = typeof data !== 'string'
      if (ws.bufferedAmount + (binary ? data.byteLength : data.length) < HIGH_WATER || this.#linkPaused) return ws.send(data, { binary })
      // The client is behind: the worker's messages wait at the link (its window, then its queue limit).
      this.#linkPaused = true
      link.pause()
      ws.send(data, { binary }, () => {
        this.#linkPaused = false
        if (this.#link === link) link.resume()
      })
    })
    link.on('drain', () => this.#pump())
    link.once('close', (close: SocketClose) => this.#linkClosed(link, close))
  }

  /** Hands the client's messages to the worker as far as its window goes; holds the client back beyond. */
  #pump (): void {
    const link = this.#link
    if (this.#state === 'live' && link) {
      while (this.#inbox.length > 0) {
        if (link.state !== 'open') break
        if (!link.send(this.#inbox.shift()!)) {
          this.#pauseClient()
          return
        }
      }
      if (this.#inbox.length === 0 && this.#clientPaused) {
        this.#clientPaused = false
        this.#ws.resume()
      }
      return
    }
    if (this.#inbox.length === 0) return
    this.#pauseClient()
    if (this.#state === 'parked') this.#hub.wake(this.sessionId, this.realm)
  }

  #pauseClient (): void {
    if (this.#clientPaused) return
    this.#clientPaused = true
    this.#ws.pause()
  }

  #linkClosed (link: WorkerSocket, close: SocketClose): void {
    if (this.#link !== link) return
    this.#link = null
    this.#linkPaused = false
    if (this.#state === 'closed') return
    if (close.parked) {
      this.#state = 'parked'
      this.#parkedWith = close.parked
      // What was sent while the worker stopped never reached it: first in line for the next one.
      if (close.unsent && close.unsent.length > 0) this.#inbox.unshift(...close.unsent)
      // A message came while the worker was on its way out: it wakes the next one at once, after the
      // other sockets' parks that arrived with this one (setImmediate), so that they all go back together.
      if (this.#inbox.length > 0) setImmediate(() => { if (this.#state === 'parked') this.#hub.wake(this.sessionId, this.realm) })
      else this.#hub.parked(this)
      return
    }
    if (close.error) return this.#closeClient(1011, 'worker went away')
    if (close.code === 1005) return this.#closeClient(1000, '')
    this.#closeClient(sendable(close.code) ? close.code : 1011, close.reason)
  }

  #closeClient (code: number, reason: string): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#hub.delete(this)
    this.#ws.close(code, reason)
    setTimeout(() => this.#ws.terminate(), CLOSE_WAIT_MS).unref()
  }

  #clientClosed (code: number, reason: string): void {
    this.#hub.delete(this)
    const link = this.#link
    this.#link = null
    this.#state = 'closed'
    if (!link) return
    if (code === 1006) link.abort(new Error('the client went away'))
    else link.close(code, reason)
  }
}
