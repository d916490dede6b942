import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, Server, createServer, request as httpRequest } from 'node:http'
import type { RequestListener } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { HandlerContext } from './context.ts'
import { defineHandler } from './handler.ts'
import type { Handler } from './handler.ts'
import { bridgeUpgrade } from './node-upgrade-bridge.ts'
import type { WebSocket } from 'ws'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'])
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * Runs an unchanged Node `(req, res)` app — Express, Connect, Koa's
 * `app.callback()`, plain `http` — as a worker's handler. The app listens on
 * a unix socket in a private directory inside the worker (never a port other
 * users could reach), and each request is passed to it over a keep-alive
 * connection, bodies streaming both ways. The app sees `X-Sessiond-User`.
 *
 * Give it the app's own `http.Server` instead of a listener, and the
 * server's 'upgrade' listeners get the realm's WebSocket handshakes: an
 * Express app with `new WebSocketServer({ server })` (ws) runs as it is,
 * its sockets relayed through `ctx.upgradeWebSocket`.
 *
 * @example
 * const server = http.createServer(app)
 * new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (m) => ws.send(m)))
 * export default fromNodeListener(server)
 *
 * @example
 * import express from 'express'
 * import { fromNodeListener } from '@sessiond/worker-sdk'
 *
 * const app = express()
 * app.get('/', (req, res) => res.json({ user: req.get('x-sessiond-user') }))
 * export default fromNodeListener(app)
 */
export function fromNodeListener (app: RequestListener | Server): Handler {
  let server: Server | null = null
  let dir = ''
  let socketPath = ''
  const agent = new Agent({ keepAlive: true })
  /** The app's ends of bridged WebSockets: the server cannot close while they are open. */
  const sockets = new Set<WebSocket>()

  async function listen (): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'sessiond-app-'))
    socketPath = join(dir, 'app.sock')
    const s = app instanceof Server ? app : createServer(app)
    s.listen(socketPath)
    await once(s, 'listening')
    server = s
  }

  return defineHandler({
    start: listen,
    resume: listen,

    fetch (request: Request, ctx: HandlerContext): Promise<Response> {
      const url = new URL(request.url)
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') return bridgeUpgrade(request, ctx, socketPath, url.pathname + url.search, sockets)
      const headers: string[] = []
      for (const [k, v] of request.headers) if (!HOP_BY_HOP.has(k) && k !== 'x-sessiond-user') headers.push(k, v)
      headers.push('x-sessiond-user', ctx.user)
      return new Promise((resolve, reject) => {
        const req = httpRequest({ socketPath, agent, method: request.method, path: url.pathname + url.search, headers }, (res) => {
          const out = new Headers()
          const raw = res.rawHeaders
          for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i].toLowerCase())) out.append(raw[i], raw[i + 1])
          const status = res.statusCode ?? 502
          const body = NULL_BODY.has(status) || request.method === 'HEAD' ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>
          if (!body) res.resume()
          resolve(new Response(body, { status, statusText: res.statusMessage, headers: out }))
        })
        req.once('error', reject)
        request.signal.addEventListener('abort', () => req.destroy(request.signal.reason), { once: true })
        if (request.body) Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>).pipe(req)
        else req.end()
      })
    },

    async stop () {
      agent.destroy()
      // Parked or closed by now (the client's side); the app's side goes with its server.
      for (const ws of sockets) ws.terminate()
      await new Promise<void>(resolve => server ? server.close(() => resolve()) : resolve())
      server?.closeAllConnections()
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  })
}
