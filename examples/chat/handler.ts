// A live page per session: every tab of the session joins one chat kept in
// its worker's memory. The worker may hibernate while tabs stay connected
// (the gateway holds their sockets open); the next message resumes it with
// its history and each tab's name (the socket's attachment), and logging
// out closes every tab's socket with 1008.
import { randomUUID } from 'node:crypto'
import { defineHandler } from '@sessiond/worker-sdk'
import type { HandlerContext, WorkerWebSocket } from '@sessiond/worker-sdk'
import { page } from './page.ts'

interface Line { from: string, text: string, at: number }

/** This worker's own name: a resumed session gets a new one, which the page shows. */
const worker = randomUUID().slice(0, 8)
let history: Line[] = []
let resumed = false
let tabs = 0

function broadcast (ctx: HandlerContext, message: object): void {
  const text = JSON.stringify(message)
  for (const s of ctx.getWebSockets()) s.send(text)
}

function join (socket: WorkerWebSocket, ctx: HandlerContext): void {
  // A tab that stayed open across hibernation comes back with the name it had.
  const kept = socket.deserializeAttachment() as { tab?: string } | null
  const tab = kept?.tab ?? `tab ${++tabs}`
  socket.serializeAttachment({ tab })
  if (!kept) socket.send(JSON.stringify({ t: 'hello', tab, history, worker, resumed }))
  socket.addEventListener('message', (e) => {
    const text = String((e as MessageEvent).data).slice(0, 2000)
    const line = { from: `${ctx.user} (${tab})`, text, at: Date.now() }
    history = [...history, line].slice(-100)
    broadcast(ctx, { t: 'line', line, worker, resumed })
  })
}

export default defineHandler({
  resume (state) {
    history = (state as { history?: Line[] }).history ?? []
    tabs = (state as { tabs?: number }).tabs ?? 0
    resumed = true
  },

  hibernate () {
    return { history, tabs }
  },

  fetch (request, ctx) {
    if (request.headers.get('upgrade') === 'websocket') {
      const { socket, response } = ctx.upgradeWebSocket(request)
      join(socket, ctx)
      return response
    }
    return new Response(page(ctx.user), { headers: { 'content-type': 'text/html; charset=utf-8' } })
  }
})
