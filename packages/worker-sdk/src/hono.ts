// Hono's WebSocket helper for a sessiond realm. Hono leaves the upgrade to
// each runtime (hono/deno, hono/bun, @hono/node-ws); this is sessiond's, on
// ctx.upgradeWebSocket. Mount the app with the handler's context as Hono's
// `env`, so that the helper finds it as `c.env`.
import { WSContext, defineWebSocketHelper } from 'hono/ws'
import type { WSReadyState } from 'hono/ws'
import type { HandlerContext } from './context.ts'
import type { UpgradeOptions } from './session-sockets.ts'
import type { WorkerWebSocket } from './web-socket.ts'

/**
 * Hono's `upgradeWebSocket`, unchanged in use: `onOpen`, `onMessage`,
 * `onClose`, `onError` on a WSContext whose `raw` is the WorkerWebSocket
 * (for `serializeAttachment`). After the worker hibernated, each socket
 * that stayed open comes back through the same route, so its events are
 * bound again; `raw.deserializeAttachment()` tells it from a new one.
 *
 * @example
 * import { Hono } from 'hono'
 * import { defineHandler } from '@sessiond/worker-sdk'
 * import { upgradeWebSocket } from '@sessiond/worker-sdk/hono'
 *
 * const app = new Hono()
 * app.get('/ws', upgradeWebSocket(() => ({ onMessage: (e, ws) => ws.send(`echo: ${e.data}`) })))
 * export default defineHandler({ fetch: (request, ctx) => app.fetch(request, ctx) })
 */
export const upgradeWebSocket = defineWebSocketHelper<WorkerWebSocket, UpgradeOptions>((c, events, options) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return
  const ctx = c.env as HandlerContext | undefined
  if (typeof ctx?.upgradeWebSocket !== 'function') throw new TypeError('mount the Hono app with the handler\'s context as env: app.fetch(request, ctx)')
  const { socket, response } = ctx.upgradeWebSocket(c.req.raw, options)
  socket.binaryType = 'arraybuffer'
  const ws = new WSContext<WorkerWebSocket>({
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    raw: socket,
    get readyState () { return socket.readyState as WSReadyState },
    url: socket.url,
    protocol: socket.protocol
  })
  socket.addEventListener('message', (e) => events.onMessage?.(e as MessageEvent, ws))
  socket.addEventListener('close', (e) => events.onClose?.(e as CloseEvent, ws))
  socket.addEventListener('error', (e) => events.onError?.(e, ws))
  events.onOpen?.(new Event('open'), ws)
  return response
})
