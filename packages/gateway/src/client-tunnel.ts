import type { Duplex } from 'node:stream'
import type { HeldSocket, SocketHub } from './socket-hub.ts'

/** What an exec worker's tunnel offers beyond bytes: a close with a code, after the frame it is in the middle of. */
type TunnelStream = Duplex & { closeWith?: (code: number, reason: string) => void }

/**
 * An exec worker's WebSocket at the gateway: the worker's own 101 goes to
 * the client, then bytes flow both ways as they are, each direction with
 * its stream's backpressure. Either side's end ends both; nothing is left
 * open behind a client that went away, or in front of a worker that did.
 */
export class ClientTunnel implements HeldSocket {
  readonly sessionId: string
  readonly realm: string
  readonly parked = false
  readonly closed: Promise<void>
  readonly #client: Duplex
  readonly #worker: TunnelStream
  readonly #hub: SocketHub

  constructor (client: Duplex, head: Buffer, worker: TunnelStream, headers: string[], at: { sessionId: string, realm: string }, hub: SocketHub) {
    this.sessionId = at.sessionId
    this.realm = at.realm
    this.#client = client
    this.#worker = worker
    this.#hub = hub
    let response = 'HTTP/1.1 101 Switching Protocols\r\n'
    for (let i = 0; i < headers.length; i += 2) response += `${headers[i]}: ${headers[i + 1]}\r\n`
    client.write(response + '\r\n')
    if (head.byteLength > 0) worker.write(head)
    this.closed = new Promise(resolve => client.once('close', () => resolve()))
    client.on('error', () => worker.destroy())
    worker.on('error', () => client.destroy())
    client.once('close', () => {
      hub.delete(this)
      worker.destroy()
    })
    worker.once('close', () => client.destroy())
    client.pipe(worker).pipe(client)
    hub.add(this)
  }

  /** An exec worker's sockets keep it alive: never parked. */
  wake (): Promise<void> { return Promise.resolve() }
  flush (): void {}

  /** Pings are the worker's business: the gateway cannot speak inside a stream it does not parse. */
  heartbeat (): boolean { return true }

  end (code: number, reason: string): void {
    this.#hub.delete(this)
    if (this.#worker.closeWith) this.#worker.closeWith(code, reason)
    else this.#client.destroy()
    setTimeout(() => this.#client.destroy(), 2000).unref()
  }
}
