import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { HandlerContext } from './context.ts'
import type { Handler } from './handler.ts'
import type { HttpUpgrades } from './http-upgrades.ts'
import { isStreaming, wholeOrStream } from './whole-or-stream.ts'

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

/** Resolves once the response can take more, or is gone. */
function writable (res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
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
  let more = res.write(start.first)
  let next = start.next
  for (;;) {
    if (!more) await writable(res)
    if (res.destroyed) return void reader.cancel().catch(() => { /* already errored */ })
    const r = await next
    if (r.done) break
    more = res.write(r.value)
    next = reader.read()
  }
  res.end()
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
        if (!(response instanceof Response)) throw new TypeError('handler did not return a Response')
        return respond(res, response)
      })
      .catch((err: unknown) => {
        if (abort.signal.aborted) return
        ctx.log.error({ err }, 'handler failed')
        if (res.headersSent) return void res.destroy()
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'SDK_ERR_HANDLER', message: 'handler failed' }))
      })
  })
  if (upgrades) server.on('upgrade', (req, sock, head) => upgrades.handle(handler, ctx, req, sock, head))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (socket) server.listen(socket, resolve)
    else server.listen(port ?? 0, '127.0.0.1', resolve)
  })
  return server
}
