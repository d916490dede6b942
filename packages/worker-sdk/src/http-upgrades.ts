// The process kind's upgrades, at the worker's end. The supervisor asks
// the child's HTTP server for `Upgrade: sessiond-socket` with the client's
// WebSocket handshake headers; the handler sees that request as the
// client's (`Upgrade: websocket`) and may take it with
// ctx.upgradeWebSocket, which answers 101 on the connection and turns it
// into a socket channel (transport/stream-port.ts). An upgrade the handler
// does not take gets its Response as a plain HTTP answer, and the
// connection closes.
import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { deserialize } from 'node:v8'
import type { HandlerContext } from './context.ts'
import type { Handler } from './handler.ts'
import { notWebSocket } from './errors.ts'
import type { HeaderList, Parked } from './transport/messages.ts'
import type { SocketChannel } from './transport/socket-channel.ts'
import { SOCKET_HEADER, SOCKET_UPGRADE, socketOverStream } from './transport/stream-port.ts'

/** Refusals are short pages; more is not read. */
const MAX_REFUSAL_BYTES = 64 * 1024

interface Pending {
  socket: Duplex
  head: Buffer
  resumed: Parked | null
}

/** What the supervisor said of the socket: a new one, or a parked one with its attachment (base64 of its v8 serialization). */
function resumedOf (value: string | undefined): Parked | null {
  if (!value?.startsWith('resumed ')) return null
  return { attachment: deserialize(Buffer.from(value.slice(8), 'base64')) }
}

function toRequest (req: IncomingMessage): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    if (name === SOCKET_HEADER) continue
    headers.append(raw[i], name === 'upgrade' ? 'websocket' : raw[i + 1])
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: req.method, headers })
}

async function writeRefusal (socket: Duplex, res: Response): Promise<void> {
  const body = res.body ? new Uint8Array(await res.arrayBuffer()).subarray(0, MAX_REFUSAL_BYTES) : new Uint8Array(0)
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}\r\n`
  for (const [k, v] of res.headers) if (k !== 'content-length' && k !== 'connection' && k !== 'transfer-encoding') head += `${k}: ${v}\r\n`
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]))
}

/** The upgrades of one process worker's HTTP server. */
export class HttpUpgrades {
  #pending = new Map<Request, Pending>()
  #sockets = new Set<Duplex>()

  /** The server's 'upgrade' listener: the request goes through the handler's fetch. */
  handle (handler: Handler, ctx: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => { /* the connection's end ends the channel */ })
    ;(socket as Socket).setNoDelay?.(true)
    let request: Request
    let resumed: Parked | null
    try {
      if (req.headers.upgrade?.toLowerCase() !== SOCKET_UPGRADE) throw notWebSocket()
      resumed = resumedOf(req.headers[SOCKET_HEADER] as string | undefined)
      request = toRequest(req)
    } catch (err) {
      ctx.log.warn({ err }, 'refused an upgrade that did not come from the supervisor')
      socket.destroy()
      return
    }
    this.#pending.set(request, { socket, head, resumed })
    Promise.resolve()
      .then(() => handler.fetch(request, ctx))
      .then(async (res) => {
        if (!this.#pending.delete(request)) return void res?.body?.cancel().catch(() => { /* nobody reads it */ })
        if (!(res instanceof Response)) throw new TypeError('handler did not return a Response')
        await writeRefusal(socket, res)
      })
      .catch((err: unknown) => {
        if (!this.#pending.delete(request)) return
        ctx.log.error({ err }, 'handler failed')
        void writeRefusal(socket, Response.json({ error: 'SDK_ERR_HANDLER', message: 'handler failed' }, { status: 500 }))
      })
  }

  /** ctx.upgradeWebSocket's acceptor: answers 101 and turns the connection into the socket's channel. */
  accept (request: Request, headers: HeaderList): SocketChannel {
    const p = this.#pending.get(request)
    if (!p) throw notWebSocket()
    this.#pending.delete(request)
    let head = `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${SOCKET_UPGRADE}\r\nconnection: Upgrade\r\n`
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
    p.socket.write(head + '\r\n')
    const channel = socketOverStream(p.socket, { end: 'worker', headers, head: p.head })
    channel.resumed = p.resumed
    this.#sockets.add(p.socket)
    p.socket.once('close', () => this.#sockets.delete(p.socket))
    return channel
  }

  /** Resolves once what the sockets were last given (a park, a close) has left this process, or after `ms`. */
  async flush (ms: number): Promise<void> {
    const pending = [...this.#sockets].filter(s => s.writableLength > 0 && !s.destroyed)
      .map(s => new Promise<void>(resolve => { s.once('drain', resolve); s.once('close', resolve) }))
    if (pending.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(pending), new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })])
    clearTimeout(timer)
  }
}
