// How a role's HTTP listener stops: no new requests, the ones in flight
// finish, then the connections close. A keep-alive connection whose last
// response ends after the close began would otherwise hold it open until its
// keep-alive timeout; a request that never finishes (a client that stalls its
// body) must not hold what stops after the listener (the workers) hostage.
import type { FastifyInstance } from 'fastify'

/** How long a shutdown lets requests in flight finish before it cuts their connections. */
export const SHUTDOWN_DRAIN_MS = 10_000

export async function drainListener (app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 50)
  const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_DRAIN_MS)
  try {
    await app.close()
  } finally {
    clearInterval(sweep)
    clearTimeout(cut)
  }
}
