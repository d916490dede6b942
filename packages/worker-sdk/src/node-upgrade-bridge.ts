import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { HandlerContext } from './context.ts'
import { sendableCode } from './web-socket.ts'

/** What the client's handshake says that the app may read; the handshake's own headers are ws's to make. */
const OWN = new Set(['connection', 'upgrade', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'x-sessiond-user', 'host'])

async function answerOf (res: IncomingMessage): Promise<Response> {
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  const headers = new Headers()
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1])
  return new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502, headers })
}

/**
 * A realm's WebSocket handshake, passed to a Node app inside the worker:
 * the app's server answers it on its private unix socket (its 'upgrade'
 * listeners: ws, socket.io, …); once it accepts, the client's socket
 * (ctx.upgradeWebSocket) and the app's are joined, message for message.
 * An app that refuses gives its answer to the client as it is.
 */
export async function bridgeUpgrade (request: Request, ctx: HandlerContext, socketPath: string, path: string, open: Set<WebSocket>): Promise<Response> {
  // Loaded on the first handshake only: every worker imports the SDK, few of them bridge a Node app's sockets.
  const { WebSocket } = await import('ws')
  const headers: Record<string, string> = {}
  for (const [k, v] of request.headers) if (!OWN.has(k)) headers[k] = v
  headers['x-sessiond-user'] = ctx.user
  const protocols = request.headers.get('sec-websocket-protocol')?.split(',').map(p => p.trim()).filter(Boolean) ?? []
  const app = new WebSocket(`ws+unix://${socketPath}:${path}`, protocols, { headers, perMessageDeflate: false })
  open.add(app)
  app.once('close', () => open.delete(app))
  return new Promise((resolve, reject) => {
    app.once('unexpected-response', (_req, res) => answerOf(res).then(resolve, reject))
    app.once('error', reject)
    app.once('open', () => {
      app.off('error', reject)
      const { socket, response } = ctx.upgradeWebSocket(request, app.protocol ? { protocol: app.protocol } : {})
      socket.binaryType = 'arraybuffer'
      socket.addEventListener('message', (e) => app.send((e as MessageEvent).data as string | ArrayBuffer))
      socket.addEventListener('close', (e) => {
        const { code, reason } = e as CloseEvent
        app.close(sendableCode(code) ? code : 1000, reason)
      })
      app.on('message', (data: Buffer, isBinary: boolean) => socket.send(isBinary ? data : data.toString()))
      app.on('close', (code: number, reason: Buffer) => socket.close(sendableCode(code) ? code : 1000, reason.toString()))
      app.on('error', (err) => ctx.log.debug({ err }, 'the app\'s websocket failed'))
      resolve(response)
    })
  })
}
