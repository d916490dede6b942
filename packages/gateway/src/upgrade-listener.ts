import type { IncomingMessage } from 'node:http'
import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyInstance } from 'fastify'

/** A WebSocket handshake's connection, taken from the HTTP server and not yet answered. */
export interface PendingUpgrade {
  socket: Duplex
  /** Bytes the client sent after the handshake's head. */
  head: Buffer
}

const pending = new WeakMap<IncomingMessage, PendingUpgrade>()

/** A client that goes away mid-handshake must not become an uncaught error; whoever holds the connection sees it close. */
function ignoreSocketError (): void {}

/** The connection of a WebSocket handshake that reached the realm route; once. */
export function takeUpgrade (req: IncomingMessage): PendingUpgrade | undefined {
  const p = pending.get(req)
  if (p) pending.delete(req)
  return p
}

/**
 * Routes upgrade requests through Fastify like any other request, so that
 * every hook runs for them (framing, the canonical path, the session
 * cookie, the public prefix, front-server authentication). Node hands an
 * upgrade's connection to the server's 'upgrade' listener instead of a
 * response: the request gets a response of its own on that connection, so
 * that a refusal (401, 403, 404, …) is an ordinary answer through the one
 * error reply path, after which the connection closes. The realm route
 * takes a WebSocket handshake's connection with `takeUpgrade`.
 */
export function routeUpgrades (app: FastifyInstance): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Not a closure here: it stays on the socket for its whole life, and would keep this request's response alive.
    socket.on('error', ignoreSocketError)
    const res = new ServerResponse(req)
    res.assignSocket(socket as Socket)
    res.shouldKeepAlive = false
    res.once('finish', () => {
      res.detachSocket(socket as Socket)
      socket.end()
    })
    if (req.headers.upgrade?.toLowerCase() === 'websocket') pending.set(req, { socket, head })
    app.routing(req, res)
  })
}
