// The steps of a handler's life that every runtime (thread, process) takes
// the same way; only how the session arrives and the state leaves differ.
import type { Logger } from 'pino'
import { SESSION_DATA_ARITY } from './context.ts'
import type { HandlerContext, SessionData } from './context.ts'
import { storeUnavailable, workerStopping } from './errors.ts'
import type { Handler } from './handler.ts'
import { SessionSockets } from './session-sockets.ts'
import type { StopReason } from './transport/messages.ts'

/** Stops before which a handler's `hibernate` runs: the session goes on, its worker pauses. */
const HIBERNATING_STOPS: ReadonlySet<StopReason> = new Set(['idle', 'shutdown', 'replaced', 'moved'])

export interface SessionOfWorker {
  sessionId: string
  user: string
  realm: string
  store: SessionData
  log: Logger
}

/** The handler's context, the controller of its `signal`, and its WebSockets (the runtime sets their acceptor). */
export function handlerContext (session: SessionOfWorker): { ctx: HandlerContext, stopping: AbortController, sockets: SessionSockets } {
  const stopping = new AbortController()
  const sockets = new SessionSockets()
  const ctx: HandlerContext = Object.freeze({
    ...session,
    signal: stopping.signal,
    upgradeWebSocket: (request: Request, options?: Parameters<SessionSockets['upgradeWebSocket']>[1]) => sockets.upgradeWebSocket(request, options),
    getWebSockets: () => sockets.list()
  })
  return { ctx, stopping, sockets }
}

/** `resume(state)` when there is saved state and the handler can take it, else `start`. */
export async function startOrResume (handler: Handler, ctx: HandlerContext, resume: { state: unknown } | undefined): Promise<void> {
  if (resume && handler.resume) await handler.resume(resume.state, ctx)
  else await handler.start?.(ctx)
}

/**
 * Aborts `ctx.signal`, runs `hibernate` when the reason keeps the session
 * going and someone takes the state, then parks the sockets still open (the
 * session goes on) or closes them, then runs `stop`. Answers the state.
 */
export async function stopHandler (handler: Handler, ctx: HandlerContext, stopping: AbortController, reason: StopReason, stateWanted = true, sockets?: SessionSockets): Promise<{ state: unknown } | undefined> {
  stopping.abort(workerStopping(`worker stopping: ${reason}`))
  const hibernating = stateWanted && HIBERNATING_STOPS.has(reason)
  let hibernated: { state: unknown } | undefined
  try {
    hibernated = handler.hibernate && hibernating ? { state: await handler.hibernate(ctx) } : undefined
  } finally {
    // After `hibernate`, which may still send on a socket or update its attachment; before `stop`,
    // which may close what the sockets lead to (an app's own server).
    sockets?.settle(reason, hibernating)
  }
  await handler.stop?.(ctx)
  return hibernated
}

/**
 * The handler's state without stopping it (a realm's periodic `checkpoint`):
 * what `hibernate` returns, or nothing when it has none. The worker goes on
 * serving, so `hibernate` must only describe its state, not release it.
 */
export async function checkpointHandler (handler: Handler, ctx: HandlerContext): Promise<{ state: unknown } | undefined> {
  return handler.hibernate ? { state: await handler.hibernate(ctx) } : undefined
}

/** A store that answers every call with one coded error: for a worker that has none. */
export function unavailableStore (message: string): SessionData {
  const unavailable = (): Promise<never> => Promise.reject(storeUnavailable(message))
  return Object.fromEntries(Object.keys(SESSION_DATA_ARITY).map(op => [op, unavailable])) as unknown as SessionData
}
