// The entry piscina loads in a worker's thread. The supervisor runs exactly
// one task per thread and that task lasts as long as the worker: it owns the
// transferred port, so every request after the first costs one message
// rather than one piscina task (see bench/thread-transport.ts for the
// comparison that chose this).
import { redactingLogger } from './log-redact.ts'
import { handlerFromModule } from './handler.ts'
import { PROTOCOL_VERSION } from './transport/protocol-version.ts'
import type { ThreadTask, ThreadTaskResult } from './transport/messages.ts'
import { ProtocolError } from './errors.ts'
import { serveSession } from './session-runtime.ts'
import { warmPortPath } from './warm-up.ts'
import type { MessagePort } from 'node:worker_threads'

export default async function runThreadWorker (task: ThreadTask): Promise<ThreadTaskResult> {
  if (task.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`supervisor speaks protocol ${task.version}, this worker-sdk ${PROTOCOL_VERSION}`)
  }
  // Booting (the thread, the runtime, the handler's module) is all a spare
  // does ahead of time: nothing session-specific runs before the claim.
  const handler = handlerFromModule(await import(task.handler), task.handler)
  // Made at boot, so that a claim only adds the session to it.
  const realmLog = redactingLogger(task.logLevel, { realm: task.realm })
  if (task.spare) await warmPortPath()
  return serveSession(task.port as MessagePort, handler, { realm: task.realm, realmLog })
}
