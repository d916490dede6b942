// The periodic upkeep each role runs beside its requests: expired sessions
// collected (the roles that own the store's upkeep), and what an ended
// session left behind (workers, parked sockets) stopped, in case its end
// event was missed (orphan-sweep.ts). Timers never keep the process up.
import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'

export const GC_EVERY_MS = 10 * 60_000
export const ORPHAN_SWEEP_EVERY_MS = 60_000

/** Runs `task` every `ms`; a run that fails is logged as `${what} failed`. */
export function every (ms: number, what: string, log: Logger, task: () => Promise<unknown>, level: 'warn' | 'error' = 'warn'): NodeJS.Timeout {
  const timer = setInterval(() => {
    task().catch(err => log[level]({ err }, `${what} failed`))
  }, ms)
  timer.unref()
  return timer
}

/** Every GC_EVERY_MS, the store forgets expired sessions. */
export function collectExpiredSessions (store: SessionStore, log: Logger): NodeJS.Timeout {
  return every(GC_EVERY_MS, 'session gc', log, async () => {
    const n = await store.gc()
    if (n > 0) log.debug({ removed: n }, 'expired sessions collected')
  }, 'error')
}
