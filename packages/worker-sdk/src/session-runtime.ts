// One session's life on its own port, once its handler is loaded: the same
// steps whether the port belongs to a thread of its own (thread-runtime.ts)
// or to one of many sessions on a shared thread (context-runtime.ts).
//
//   booted ─▶ claim (or stop: a spare nobody took) ─▶ start | resume ─▶ ready
//          ─▶ requests (PortServer) ─▶ stop ─▶ hibernate? ─▶ the result
import type { MessagePort } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { Handler } from './handler.ts'
import { handlerContext, startOrResume, stopHandler } from './handler-lifecycle.ts'
import type { ClaimMessage, StopMessage, StopReason, ThreadTaskResult } from './transport/messages.ts'
import { ProtocolError, parseToWorker } from './transport/parse.ts'
import { PortServer } from './transport/port-server.ts'
import { PortStoreClient } from './store-client.ts'
import { encodeError } from './transport/error-codec.ts'

export interface SessionRun {
  realm: string
  /** The realm's logger, made once per thread; the session's is its child. */
  realmLog: Logger
  /** Ends the session at once (reason `crash`): its code failed where nobody caught it. */
  signal?: AbortSignal
  /**
   * Posts the end as a `stopped` message before the port closes: for a
   * session on a shared thread, whose end is no task's result.
   */
  report?: boolean
}

/**
 * The first message after boot: the session to serve, or a stop for a spare
 * nobody claimed. A port closed by the supervisor is a stop too.
 */
function claimed (port: MessagePort): Promise<ClaimMessage | StopMessage> {
  return new Promise((resolve, reject) => {
    const onClose = () => resolve({ t: 'stop', reason: 'crash' })
    port.once('close', onClose)
    port.once('message', (m: unknown) => {
      port.off('close', onClose)
      try {
        const msg = parseToWorker(m)
        if (msg.t !== 'claim' && msg.t !== 'stop') throw new ProtocolError(`expected claim, got ${msg.t}`)
        resolve(msg)
      } catch (err) {
        reject(err)
      }
    })
  })
}

/** Serves one session on `port` until it is stopped; answers how it stopped and what `hibernate` returned. */
export async function serveSession (port: MessagePort, handler: Handler, { realm, realmLog, signal, report = false }: SessionRun): Promise<ThreadTaskResult> {
  port.postMessage({ t: 'booted' })
  const claim = await claimed(port)
  if (claim.t === 'stop') return { stopped: claim.reason }

  const store = new PortStoreClient(port)
  const { ctx, stopping, sockets } = handlerContext({ sessionId: claim.sessionId, user: claim.user, realm, store, log: realmLog.child({ session: claim.sessionHash }) })
  const { promise: stopped, resolve: onStop } = Promise.withResolvers<StopReason>()
  const server = new PortServer(port, handler, ctx, store, onStop)
  sockets.acceptor = (request, headers) => server.acceptSocket(request, headers)
  // The supervisor let go of the port without a stop (it gave up on this session): nobody takes a state.
  port.once('close', () => onStop('crash'))
  signal?.addEventListener('abort', () => onStop('crash'), { once: true })
  await startOrResume(handler, ctx, claim.resume)
  port.postMessage({ t: 'ready' })
  const reason = await stopped
  let result: ThreadTaskResult = { stopped: reason }
  let failure: unknown = signal?.aborted ? signal.reason : undefined
  try {
    const hibernated = await stopHandler(handler, ctx, stopping, reason, true, sockets)
    if (hibernated) result = { ...result, hibernated }
    return result
  } catch (err) {
    failure ??= err
    throw err
  } finally {
    if (report) port.postMessage({ t: 'stopped', ...result, ...(failure !== undefined && { error: encodeError(failure) }) })
    server.close()
  }
}
