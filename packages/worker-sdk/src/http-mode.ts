import { once } from 'node:events'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { HandlerContext } from './context.ts'
import type { Handler } from './handler.ts'
import type { HttpUpgrades } from './http-upgrades.ts'
import { isStreaming, wholeOrStream } from './whole-or-stream.ts'
import type { StreamingBody } from './whole-or-stream.ts'
import { pipeline } from 'node:stream/promises'
import { SdkError, badResponse, handlerFailed } from './errors.ts'
import { SDK_ERROR_HEADER, encodeError } from './transport/error-codec.ts'

export interface HttpModeOptions {
  /** A unix socket path, or a loopback port. */
  socket?: string
  port?: number
  /** The worker's upgrades (its WebSockets), when the supervisor may ask for them. */
  upgrades?: HttpUpgrades
}

function toRequest (req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1])
  const h = req.headers
  // Only a body that is there gets a stream: making one costs every request.
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && (h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0'))
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) as ReadableStream<Uint8Array> : null,
    signal,
    // @ts-expect-error: duplex is required by undici for streamed bodies but missing from lib.dom
    duplex: 'half'
  })
}

/** The rest of a streaming body as a Node stream: its first chunk, then whatever the reader has. */
async function * chunksOf ({ first, next }: StreamingBody, reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first
  for (let r = await next; !r.done; r = await reader.read()) yield r.value
}

async function respond (res: ServerResponse, response: Response): Promise<void> {
  const headers: string[] = []
  for (const [k, v] of response.headers) headers.push(k, v)
  if (!response.body) return void res.writeHead(response.status, headers).end()
  const reader = response.body.getReader()
  const start = await wholeOrStream(reader)
  if (start === null) return void res.writeHead(response.status, headers).end()
  // A whole body goes out in one write with its length; anything slower streams, with backpressure.
  if (!isStreaming(start)) {
    if (!response.headers.has('content-length') && !response.headers.has('transfer-encoding')) headers.push('content-length', String(start.byteLength))
    return void res.writeHead(response.status, headers).end(start)
  }
  res.writeHead(response.status, headers)
  // pipeline does the backpressure, and on a client gone mid-body ends the generator (cancelling the reader).
  await pipeline(Readable.from(chunksOf(start, reader), { objectMode: false }), res).catch(() => {
    reader.cancel().catch(() => { /* already errored */ })
  })
}

/**
 * Serves a handler as plain HTTP/1.1: the worker side of the process kind.
 * Bodies stream both ways; a handler error answers 500 with a short body
 * and is logged, and the server goes on.
 *
 * @example
 * const server = await serveHttp(handler, ctx, { socket: process.env.SESSIOND_SOCKET })
 */
export async function serveHttp (handler: Handler, ctx: HandlerContext, { socket, port, upgrades }: HttpModeOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const abort = new AbortController()
    res.once('close', () => { if (!res.writableFinished) abort.abort(new Error('client went away')) })
    Promise.resolve()
      .then(() => handler.fetch(toRequest(req, abort.signal), ctx))
      .then(response => {
        if (!(response instanceof Response)) throw badResponse(response === null ? 'null' : typeof response)
        return respond(res, response)
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return
        ctx.log.error({ err }, 'handler failed')
        if (res.headersSent) return void res.destroy()
        // As a thread's port carries it: the coded error as data, which the supervisor rebuilds
        // (SDK_ERROR_HEADER) so that the gateway answers it in its one shape, request id included.
        const coded = encodeError(err instanceof SdkError ? err : handlerFailed(err))
        res.writeHead(coded.statusCode, { 'content-type': 'application/json', [SDK_ERROR_HEADER]: coded.code })
        res.end(JSON.stringify(coded))
      })
  })
  if (upgrades) server.on('upgrade', (req, sock, head) => upgrades.handle(handler, ctx, req, sock, head))
  if (socket) server.listen(socket)
  else server.listen(port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  return server
}
