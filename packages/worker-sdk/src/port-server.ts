import type { MessagePort } from 'node:worker_threads'
import type { HandlerContext } from './context.ts'
import type { Handler } from './handler.ts'
import { SdkError, badRequest, badResponse, handlerFailed, workerStopping } from './errors.ts'
import { encodeError } from './protocol/error-codec.ts'
import { ACK_EVERY_BYTES, FlowWindow, WINDOW_BYTES } from './protocol/flow-window.ts'
import { countStreamedBytes } from './protocol/gc-pacer.ts'
import { ProtocolError, parseToWorker } from './protocol/parse.ts'
import type { HeaderList, RequestMessage, StopReason, ToWorker } from './protocol/messages.ts'
import type { PortStoreClient } from './store-client.ts'
import { settledWithinMicrotasks } from './settled-soon.ts'

interface Exchange {
  abort: AbortController
  /** Feeds the request body while it streams in. */
  body: ReadableStreamDefaultController<Uint8Array> | null
  unacked: number
  /** Set while the body's consumer is slower than the sender. */
  paused: boolean
  window: FlowWindow
  reader: ReadableStreamDefaultReader<Uint8Array> | null
}

/**
 * Serves one handler over one MessagePort: the worker side of the thread
 * transport. Requests are multiplexed by id; each body streams under its
 * own window in both directions.
 */
export class PortServer {
  #port: MessagePort
  #handler: Handler
  #ctx: HandlerContext
  #store: PortStoreClient
  #exchanges = new Map<number, Exchange>()
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

  /** Ends every exchange still open and lets the port go. */
  close (): void {
    for (const [id, ex] of this.#exchanges) this.#fail(id, ex, workerStopping())
    this.#port.close()
  }

  #onMessage (m: ToWorker): void {
    switch (m.t) {
      case 'req': return this.#onRequest(m)
      case 'chunk': {
        const ex = this.#exchanges.get(m.id)
        if (!ex?.body) return
        ex.body.enqueue(m.chunk)
        ex.unacked += m.chunk.byteLength
        countStreamedBytes(m.chunk.byteLength)
        if ((ex.body.desiredSize ?? 0) <= 0) ex.paused = true
        else this.#ack(m.id, ex)
        return
      }
      case 'end': {
        const ex = this.#exchanges.get(m.id)
        ex?.body?.close()
        if (ex) ex.body = null
        return
      }
      case 'ack': {
        this.#exchanges.get(m.id)?.window.release(m.bytes)
        return
      }
      case 'abort': {
        const ex = this.#exchanges.get(m.id)
        if (!ex) return
        this.#finish(m.id, ex, new DOMException('client went away', 'AbortError'))
        return
      }
      case 'store-result': return this.#store.settle(m)
      // The runtime took the one claim before this server existed; another is a confused peer.
      case 'claim': throw new ProtocolError('worker already claimed')
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

  #ack (id: number, ex: Exchange, force = false): void {
    if (ex.unacked === 0 || (!force && ex.unacked < ACK_EVERY_BYTES)) return
    this.#port.postMessage({ t: 'ack', id, bytes: ex.unacked })
    ex.unacked = 0
  }

  #onRequest (m: RequestMessage): void {
    const ex: Exchange = {
      abort: new AbortController(),
      body: null,
      unacked: 0,
      paused: false,
      window: new FlowWindow(WINDOW_BYTES),
      reader: null
    }
    this.#exchanges.set(m.id, ex)
    if (this.#stopping) return this.#fail(m.id, ex, workerStopping())

    let body: BodyInit | null = null
    if (m.more) {
      body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          ex.body = controller
          if (m.body) controller.enqueue(m.body)
        },
        pull: () => {
          if (ex.paused) {
            ex.paused = false
            this.#ack(m.id, ex, true)
          }
        },
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
    if (!this.#exchanges.has(id)) return
    const headers: HeaderList = []
    for (const [k, v] of res.headers) headers.push(k, v)
    if (!res.body) {
      this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: null, more: false })
      return this.#finish(id, ex)
    }
    const reader = res.body.getReader()
    ex.reader = reader
    try {
      const first = await reader.read()
      if (first.done) {
        this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: null, more: false })
        return this.#finish(id, ex)
      }
      // A body that is already complete (a string, a buffer) goes out in the
      // same message as the head; anything slower starts streaming at once.
      let next: Promise<ReadableStreamReadResult<Uint8Array>> = reader.read()
      const early = await settledWithinMicrotasks(next)
      if (early?.done) {
        this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: first.value, more: false })
        return this.#finish(id, ex)
      }
      this.#port.postMessage({ t: 'res', id, status: res.status, headers, body: first.value, more: true })
      if (!ex.window.sent(first.value.byteLength)) await ex.window.room()
      for (;;) {
        const r = await next
        if (r.done) break
        this.#port.postMessage({ t: 'chunk', id, chunk: r.value })
        countStreamedBytes(r.value.byteLength)
        if (!ex.window.sent(r.value.byteLength)) await ex.window.room()
        next = reader.read()
      }
      this.#port.postMessage({ t: 'end', id })
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
      ex.window.close(reason instanceof Error ? reason : new Error('aborted'))
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
