// The entry piscina loads in a worker's thread. The supervisor runs exactly
// one task per thread and that task lasts as long as the worker: it owns the
// transferred port, so every request after the first costs one message
// rather than one piscina task (see bench/thread-transport.ts for the
// comparison that chose this).
import { redactingLogger } from './log-redact.ts'
import { handlerFromModule } from './handler.ts'
import { handlerContext, startOrResume, stopHandler } from './handler-lifecycle.ts'
import { PROTOCOL_VERSION } from './transport/protocol-version.ts'
import type { ClaimMessage, StopMessage, StopReason, ThreadTask, ThreadTaskResult } from './transport/messages.ts'
import { parseToWorker } from './transport/parse.ts'
import { PortServer } from './transport/port-server.ts'
import { PortStoreClient } from './store-client.ts'
import { ProtocolError } from './errors.ts'
import { warmPortPath } from './warm-up.ts'
import type { MessagePort } from 'node:worker_threads'

/** The first message after boot: the session to serve, or a stop for a spare nobody claimed. */
function claimed (port: MessagePort): Promise<ClaimMessage | StopMessage> {
  return new Promise((resolve, reject) => {
    port.once('message', (m: unknown) => {
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

export default async function runThreadWorker (task: ThreadTask): Promise<ThreadTaskResult> {
  if (task.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`supervisor speaks protocol ${task.version}, this worker-sdk ${PROTOCOL_VERSION}`)
  }
  const port = task.port as MessagePort
  // Booting (the thread, the runtime, the handler's module) is all a spare
  // does ahead of time: nothing session-specific runs before the claim.
  const handler = handlerFromModule(await import(task.handler), task.handler)
  // Made at boot, so that a claim only adds the session to it.
  const realmLog = redactingLogger(task.logLevel, { realm: task.realm })
  if (task.spare) await warmPortPath()
  port.postMessage({ t: 'booted' })
  const claim = await claimed(port)
  if (claim.t === 'stop') return { stopped: claim.reason }

  const store = new PortStoreClient(port)
  const { ctx, stopping, sockets } = handlerContext({ sessionId: claim.sessionId, user: claim.user, realm: task.realm, store, log: realmLog.child({ session: claim.sessionHash }) })
  const { promise: stopped, resolve: onStop } = Promise.withResolvers<StopReason>()
  const server = new PortServer(port, handler, ctx, store, onStop)
  sockets.acceptor = (request, headers) => server.acceptSocket(request, headers)
  await startOrResume(handler, ctx, claim.resume)
  port.postMessage({ t: 'ready' })
  const reason = await stopped
  try {
    const hibernated = await stopHandler(handler, ctx, stopping, reason, true, sockets)
    return { stopped: reason, ...(hibernated && { hibernated }) }
  } finally {
    server.close()
  }
}
