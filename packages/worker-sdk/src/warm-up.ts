// A spare's last boot step: one exchange through the request path it will
// serve, with a throwaway handler and no session. Node loads fetch's
// Request/Response, web streams and the http parser lazily, on first use;
// paying that while the spare waits, rather than on a session's first
// request, is what makes claiming a spare nearly as fast as a warm request.
import { request as httpRequest } from 'node:http'
import { MessageChannel } from 'node:worker_threads'
import pino from 'pino'
import type { HandlerContext, SessionData } from './context.ts'
import { handlerContext, unavailableStore } from './handler-lifecycle.ts'
import type { Handler } from './handler.ts'
import { serveHttp } from './http-mode.ts'
import { PortServer } from './transport/port-server.ts'
import { PortStoreClient } from './store-client.ts'

const echo: Handler = {
  fetch: async (request) => new Response(await request.text() || 'warm', { headers: { 'content-type': 'text/plain' } })
}

function throwawayContext (store: SessionData): HandlerContext {
  return handlerContext({ sessionId: '', user: '', realm: '', store, log: pino({ level: 'silent' }) }).ctx
}

/** thread kind: one request with a body, and its response, through a PortServer on a private channel. */
export async function warmPortPath (): Promise<void> {
  const { port1, port2 } = new MessageChannel()
  const store = new PortStoreClient(port2)
  const server = new PortServer(port2, echo, throwawayContext(store), store, () => undefined)
  try {
    await new Promise<void>((resolve) => {
      port1.on('message', (m: { t: string }) => { if (m.t === 'res') resolve() })
      port1.postMessage({ t: 'req', id: 1, method: 'POST', url: 'http://localhost/', headers: ['content-type', 'text/plain'], body: new TextEncoder().encode('warm'), more: false })
    })
  } finally {
    server.close()
    port1.close()
  }
}

/** process kind: one request with a body, and its response, through serveHttp on a loopback port. */
export async function warmHttpPath (): Promise<void> {
  const server = await serveHttp(echo, throwawayContext(unavailableStore('no store while warming up')), { port: 0 })
  try {
    const { port } = server.address() as { port: number }
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': '4' } }, (res) => {
        res.resume()
        res.once('end', resolve)
      })
      req.once('error', reject)
      req.end('warm')
    })
  } finally {
    server.close()
  }
}
