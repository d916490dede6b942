import type { StopReason } from './messages.ts'

/**
 * The WebSocket close code (and reason) a client gets when its socket's
 * worker stops for good rather than hibernating with the socket parked:
 * 1008 when the session ended (logout, expiry, regenerate_id), 1001 when
 * the server is going away, 1012 "service restart" when a reload replaced
 * the worker or it moved to another host, so that clients know whether
 * reconnecting makes sense.
 */
export const STOP_CLOSE_CODES: Readonly<Record<StopReason, readonly [code: number, reason: string]>> = {
  logout: [1008, 'session ended'],
  idle: [1001, 'worker stopped'],
  shutdown: [1001, 'server shutting down'],
  replaced: [1012, 'service restart'],
  moved: [1012, 'service restart'],
  crash: [1011, 'worker failed']
}
