import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'
import type { Dispatcher } from '@sessiond/supervisor'
import type { SocketHub } from './socket-hub.ts'

/**
 * Stops the workers of sessions the store no longer has. Session ends
 * normally arrive as events (onSessionEnd, and Redis pub/sub between
 * hosts), but an event can be missed: a host cut off from Redis while a
 * session was destroyed, a Redis restarted without persistence, another
 * process on the same SQLite file. A live worker would otherwise go on
 * serving a session that no longer exists, since the hot path never asks
 * the store. Answers how many sessions it ended.
 */
export async function stopOrphanedWorkers (dispatcher: Dispatcher, store: SessionStore, log: Logger, sockets?: SocketHub): Promise<number> {
  let ended = 0
  // A parked socket's session has no worker to find it by: the gateway's sockets are looked at too.
  const ids = new Set([...await dispatcher.sessions(), ...sockets?.sessions() ?? []])
  for (const id of ids) {
    if (await store.lookup(id)) continue
    ended++
    sockets?.endSession(id)
    await dispatcher.stopSession(id, 'logout')
  }
  if (ended > 0) log.info({ sessions: ended }, 'stopped the workers of sessions the store no longer has')
  return ended
}

/**
 * A cluster gateway's part of the sweep: it holds no workers, but it holds
 * parked sockets, which a missed session end would leave open.
 */
export async function closeOrphanedSockets (store: SessionStore, sockets: SocketHub, log: Logger): Promise<number> {
  let ended = 0
  for (const id of sockets.sessions()) {
    if (await store.lookup(id)) continue
    ended++
    sockets.endSession(id)
  }
  if (ended > 0) log.info({ sessions: ended }, 'closed the sockets of sessions the store no longer has')
  return ended
}
