import { notWebSocket } from './errors.ts'
import type { HeaderList, StopReason } from './transport/messages.ts'
import type { SocketChannel } from './transport/socket-channel.ts'
import { STOP_CLOSE_CODES } from './transport/stop-close-codes.ts'
import { WorkerWebSocket } from './web-socket.ts'

/** How a runtime takes an upgrade request, still waiting for its answer, as a socket channel. */
export type SocketAcceptor = (request: Request, headers: HeaderList) => SocketChannel

export interface UpgradeOptions {
  /** The subprotocol to answer with, one of those the client offered in Sec-WebSocket-Protocol. */
  protocol?: string
  /** More headers for the 101 answer. */
  headers?: HeadersInit
}

/** What `ctx.upgradeWebSocket` answers: return `response` from `fetch`, use `socket`. */
export interface WebSocketUpgrade {
  socket: WorkerWebSocket
  /** A 101 answer: the gateway completes the handshake with the client; nothing of it is sent as it is. */
  response: Response
}


/** A Response whose status reads 101: the Fetch API refuses to construct one. */
function switchingProtocols (): Response {
  const response = new Response(null)
  Object.defineProperty(response, 'status', { value: 101 })
  Object.defineProperty(response, 'statusText', { value: 'Switching Protocols' })
  return response
}

/**
 * The WebSockets of one worker (one session, one realm): what
 * `ctx.upgradeWebSocket` makes and `ctx.getWebSockets` lists, and how they
 * end when the worker stops: parked at the gateway when it hibernates,
 * closed with a code that says why otherwise.
 */
export class SessionSockets {
  /** Set by the runtime once its server exists: the context is made before it. */
  acceptor: SocketAcceptor | null = null
  #open = new Set<WorkerWebSocket>()

  upgradeWebSocket (request: Request, options: UpgradeOptions = {}): WebSocketUpgrade {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !this.acceptor) throw notWebSocket()
    const headers: HeaderList = []
    if (options.protocol) headers.push('sec-websocket-protocol', options.protocol)
    for (const [k, v] of new Headers(options.headers)) headers.push(k, v)
    const channel = this.acceptor(request, headers)
    const socket = new WorkerWebSocket(channel, request.url.replace(/^http/, 'ws'), options.protocol ?? '', channel.resumed?.attachment ?? null)
    this.#open.add(socket)
    channel.once('close', () => this.#open.delete(socket))
    return { socket, response: switchingProtocols() }
  }

  list (): WorkerWebSocket[] {
    return [...this.#open]
  }

  /**
   * The worker is stopping for `reason`. When its session goes on (idle,
   * shutdown, replaced) and someone takes its state, each socket is parked:
   * the gateway keeps its connection open and offers it to the next worker.
   */
  settle (reason: StopReason, hibernating: boolean): void {
    const [code, why] = STOP_CLOSE_CODES[reason]
    for (const socket of this.#open) {
      if (hibernating) socket.park()
      else socket.end(code, why)
    }
    this.#open.clear()
  }
}
