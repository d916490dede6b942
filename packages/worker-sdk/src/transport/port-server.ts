import type { MessagePort } from 'node:worker_threads'
import type { HandlerContext } from '../context.ts'
import type { Handler } from '../handler.ts'
import { checkpointHandler } from '../handler-lifecycle.ts'
import { SdkError, badRequest, badResponse, handlerFailed, notUpgradable, workerStopping } from '../errors.ts'
import type { PortStoreClient } from '../store-client.ts'
import { isStreaming, wholeOrStream } from '../whole-or-stream.ts'
import { pumpReader } from './body-pump.ts'
import { encodeError } from './error-codec.ts'
import { ACK_EVERY_BYTES } from './flow-window.ts'
import { Inflow } from './inflow.ts'
import type { HeaderList, Parked, RequestMessage, StopReason, ToWorker } from './messages.ts'
import { Outflow } from './outflow.ts'
import { ProtocolError, parseToWorker } from './parse.ts'
import { SocketChannel, deliverToSocket } from './socket-channel.ts'

interface Exchange {
  abort: AbortController
  /** Feeds the request body while it streams in. */
  body: ReadableStreamDefaultController<Uint8Array> | null
  inflow: Inflow | null
  /** The response body while it streams out. */
  outflow: Outflow | null
  reader: ReadableStreamDefaultReader<Uint8Array> | null
  /** The request, when it asks for an upgrade that the handler may accept. */
  upgrade: Request | null
  /** A parked socket offered again: what it was parked with. */
  resumed: Parked | null
}

/**
 * Serves one handler over one MessagePort: the worker end of the thread
 * transport. Requests are multiplexed by id; each body streams under its
 * own window in both directions; an accepted upgrade turns its id into a
 * socket channel.
 *
 * One PortServer serves one session, on that session's own port. A thread
 * that serves several sessions (the context kind) makes one per session
 * and shares this code, not its state: ids, windows, store calls and the
 * stop stay per session, a session's end is its port closing, and no
 * message needs a session field, which every exchange of every kind would
 * pay for. A port is a small native object next to a V8 context.
 */
export class PortServer {
  #port: MessagePort
  #handler: Handler
  #ctx: HandlerContext
  #store: PortStoreClient
  #exchanges = new Map<number, Exchange>()
  #sockets = new Map<number, SocketChannel>()
  #stopping = false
  #onStop: (reason: StopReason) => void

  constructor (port: MessagePort, handler: Handler, ctx: HandlerContext, store: PortStoreClient, onStop: (reason: StopReason) => void) {
    this.#port = port
    this.#handler = handler
    this.#ctx = ctx
    this.#store = store
    this.#onStop = onStop
    port.on('message', (m: unknown) => this.#onMessage(parseToWorker(m)))
  }

  get inFlight (): number { return this.#exchanges.size }

  /**
   * Takes an upgrade request, while its handler has not answered, as a
   * socket channel; `headers` go into the 101 answer. The Response the
   * handler returns for it afterwards is not sent.
   */
  acceptSocket (request: Request, headers: HeaderList = []): SocketChannel {
    for (const [id, ex] of this.#exchanges) {
      if (ex.upgrade !== request) continue
      this.#exchanges.delete(id)
      const socket = new SocketChannel(this.#port, id, this.#sockets, headers)
      socket.resumed = ex.resumed
      this.#port.postMessage({ t: 'open', id, headers })
      return socket
    }
    throw notUpgradable()
  }

  /** Ends every exchange and socket still open and lets the port go. */
  close (): void {
    for (const [id, ex] of this.#exchanges) this.#fail(id, ex, workerStopping())
    for (const socket of this.#sockets.values()) socket.abort(workerStopping())
    this.#port.close()
  }

  #onMessage (m: ToWorker): void {
    if (deliverToSocket(this.#sockets, m)) return
    switch (m.t) {
      case 'req': return this.#onRequest(m)
      case 'chunk': {
        const ex = this.#exchanges.get(m.id)
        if (!ex?.body) return
        ex.body.enqueue(m.chunk)
        ex.inflow!.took(m.chunk.byteLength, (ex.body.desiredSize ?? 0) > 0)
        return
      }
      case 'end': {
        const ex = this.#exchanges.get(m.id)
        ex?.body?.close()
        if (ex) ex.body = null
        return
      }
      case 'ack': {
        this.#exchanges.get(m.id)?.outflow?.acked(m.bytes)
        return
      }
      case 'abort': {
        const ex = this.#exchanges.get(m.id)
        if (ex) this.#finish(m.id, ex, new DOMException('client went away', 'AbortError'))
        return
      }
      // Delivered to their channel before the switch (deliverToSocket), or for one long gone.
      case 'frame':
      case 'close': return
      case 'store-result': return this.#store.settle(m)
      // The runtime took the one claim before this server existed; another is a confused peer.
      case 'claim': throw new ProtocolError('worker already claimed')
      case 'checkpoint': return void this.#checkpoint()
      case 'stop': {
        this.#stopping = true
        return this.#onStop(m.reason)
      }
      default: {
        const never: never = m
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  }

  /** Answers the handler's state while it goes on serving; a state that cannot be cloned is an error, as for a stop. */
  async #checkpoint (): Promise<void> {
    try {
      const hibernated = await checkpointHandler(this.#handler, this.#ctx)
      this.#port.postMessage({ t: 'checkpointed', ...(hibernated && { hibernated }) })
    } catch (err) {
      this.#ctx.log.error({ err }, 'checkpoint failed')
      this.#port.postMessage({ t: 'checkpointed', error: encodeError(err) })
    }
  }

  #onRequest (m: RequestMessage): void {
    const ex: Exchange = { abort: new AbortController(), body: null, inflow: null, outflow: null, reader: null, upgrade: null, resumed: null }
    this.#exchanges.set(m.id, ex)
    if (this.#stopping) return this.#fail(m.id, ex, workerStopping())

    let body: BodyInit | null = null
    if (m.more) {
      const inflow = ex.inflow = new Inflow(this.#port, m.id)
      body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          ex.body = controller
          if (m.body) {
            controller.enqueue(m.body)
            inflow.took(m.body.byteLength, true)
          }
        },
        pull: () => inflow.pulled(),
        cancel: () => { ex.body = null }
      }, new ByteLengthQueuingStrategy({ highWaterMark: ACK_EVERY_BYTES }))
    } else if (m.body) {
      body = m.body as Uint8Array<ArrayBuffer>
    }

    let request: Request
    try {
      request = new Request(m.url, {
        method: m.method,
        headers: toHeaders(m.headers),
        body,
        signal: ex.abort.signal,
        // @ts-expect-error: duplex is required by undici for streamed bodies but missing from lib.dom
        duplex: 'half'
      })
    } catch (err) {
      return this.#fail(m.id, ex, badRequest(err))
    }
    if (m.upgrade) {
      ex.upgrade = request
      ex.resumed = m.resumed ?? null
    }

    let result: Response | Promise<Response>
    try {
      result = this.#handler.fetch(request, this.#ctx)
    } catch (err) {
      return this.#fail(m.id, ex, err)
    }
    if (result instanceof Response) this.#respond(m.id, ex, result)
    else Promise.resolve(result).then(r => this.#respond(m.id, ex, r), err => this.#fail(m.id, ex, err))
  }

  async #respond (id: number, ex: Exchange, res: unknown): Promise<void> {
    if (!(res instanceof Response)) return this.#fail(id, ex, badResponse(res === null ? 'null' : typeof res))
    // Aborted, or taken as a socket: nobody reads this answer.
    if (!this.#exchanges.has(id)) return void res.body?.cancel().catch(() => { /* nobody reads it either way */ })
    const headers: HeaderList = []
    for (const [k, v] of res.headers) headers.push(k, v)
    if (!res.body) {
      this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: null, more: false })
      return this.#finish(id, ex)
    }
    const reader = res.body.getReader()
    ex.reader = reader
    try {
      const start = await wholeOrStream(reader)
      if (this.#exchanges.get(id) !== ex) return
      if (!isStreaming(start)) {
        this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: start, more: false })
        return this.#finish(id, ex)
      }
      const out = ex.outflow = new Outflow(this.#port, id)
      this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: start.first, more: true })
      if (!out.counted(start.first.byteLength)) await out.room()
      await pumpReader(out, reader, start.next)
      this.#finish(id, ex)
    } catch (err) {
      this.#fail(id, ex, err)
    }
  }

  #fail (id: number, ex: Exchange, err: unknown): void {
    if (!this.#exchanges.has(id)) return
    const isSdk = err instanceof SdkError
    if (!isSdk && (err as Error)?.name !== 'AbortError') this.#ctx.log.error({ err }, 'handler failed')
    const coded = isSdk ? err : handlerFailed(err)
    this.#port.postMessage({ t: 'error', id, error: encodeError(coded) })
    this.#finish(id, ex, err)
  }

  #finish (id: number, ex: Exchange, reason?: unknown): void {
    this.#exchanges.delete(id)
    if (reason !== undefined) {
      ex.abort.abort(reason)
      ex.outflow?.close(reason instanceof Error ? reason : new Error('aborted'))
      ex.reader?.cancel(reason).catch(() => { /* the stream is being torn down anyway */ })
      try { ex.body?.error(reason) } catch { /* already closed */ }
    }
  }
}

function toHeaders (list: HeaderList): Headers {
  const h = new Headers()
  for (let i = 0; i < list.length; i += 2) h.append(list[i], list[i + 1])
  return h
}
