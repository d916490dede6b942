// The entry piscina loads in a worker's thread. The supervisor runs exactly
// one task per thread and that task lasts as long as the worker: it owns the
// transferred port, so every request after the first costs one message
// rather than one piscina task (see bench/thread-transport.ts for the
// comparison that chose this).
import pino from 'pino'
import type { HandlerContext } from './context.ts'
import { handlerFromModule } from './handler.ts'
import { HIBERNATING_STOPS, PROTOCOL_VERSION } from './protocol/messages.ts'
import type { StopReason, ThreadTask, ThreadTaskResult } from './protocol/messages.ts'
import { PortServer } from './port-server.ts'
import { PortStoreClient } from './store-client.ts'
import { SdkError } from './errors.ts'
import type { MessagePort } from 'node:worker_threads'

export default async function runThreadWorker (task: ThreadTask): Promise<ThreadTaskResult> {
  if (task.version !== PROTOCOL_VERSION) {
    throw new SdkError('SDK_ERR_PROTOCOL', `supervisor speaks protocol ${task.version}, this worker-sdk ${PROTOCOL_VERSION}`, 500)
  }
  const port = task.port as MessagePort
  const handler = handlerFromModule(await import(task.handler), task.handler)
  const stopController = new AbortController()
  const store = new PortStoreClient(port)
  const ctx: HandlerContext = Object.freeze({
    sessionId: task.sessionId,
    user: task.user,
    realm: task.realm,
    store,
    log: pino({ level: task.logLevel, base: { realm: task.realm, session: task.sessionHash } }),
    signal: stopController.signal
  })

  const { promise: stopped, resolve: onStop } = Promise.withResolvers<StopReason>()
  const server = new PortServer(port, handler, ctx, store, onStop)
  if (task.resume && handler.resume) await handler.resume(task.resume.state, ctx)
  else await handler.start?.(ctx)
  port.postMessage({ t: 'ready' })

  const reason = await stopped
  stopController.abort(new SdkError('SDK_ERR_STOPPING', `worker stopping: ${reason}`, 503))
  let hibernated: ThreadTaskResult['hibernated']
  try {
    if (handler.hibernate && HIBERNATING_STOPS.has(reason)) hibernated = { state: await handler.hibernate(ctx) }
    await handler.stop?.(ctx)
  } finally {
    server.close()
  }
  return { stopped: reason, ...(hibernated && { hibernated }) }
}

