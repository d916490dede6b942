// The entry piscina loads in a shared thread of the context kind: many
// sessions on one thread, each in a V8 context of its own.
//
//   task {control port, bundle} ─▶ compile the bundle once, warm the request path ─▶ booted
//   attach {port, slot}         ─▶ a SessionContext, the bundle run in it (that session's modules)
//                                  ─▶ serveSession on the session's port (session-runtime.ts) ─▶ stopped
//   ping                        ─▶ pong (the supervisor's test for a hung thread)
//
// The per-request machinery (PortServer, building the Request, reading the
// Response) is this thread's code, in its own context, compiled and
// optimised once for all of its sessions; only the handler runs in a
// session's context.
import { once } from 'node:events'
import { threadId } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { Logger } from 'pino'
import { ContextFaults } from './context-faults.ts'
import { ProtocolError } from './errors.ts'
import { HandlerBundle } from './handler-bundle.ts'
import { redactingLogger } from './log-redact.ts'
import * as sdk from './index.ts'
import { SessionContext } from './session-context.ts'
import { serveSession } from './session-runtime.ts'
import type { ContextThreadTask } from './transport/context-messages.ts'
import { parseToContextThread } from './transport/context-messages.ts'
import { encodeError } from './transport/error-codec.ts'
import { PROTOCOL_VERSION } from './transport/protocol-version.ts'
import { warmPortPath } from './warm-up.ts'

interface Thread {
  bundle: HandlerBundle
  realm: string
  realmLog: Logger
  faults: ContextFaults
  running: Int32Array
  /** A context made ahead, while the thread had nothing else to do, for the next session. */
  ahead: SessionContext | null
}

/** The context made ahead, or a new one; the next is made once the thread is free again. */
function freshContext (thread: Thread): SessionContext {
  const context = thread.ahead ?? new SessionContext()
  thread.ahead = null
  setImmediate(() => { thread.ahead ??= new SessionContext() })
  return context
}

/** One session from its attach to its end; the port is closed when it is over. */
async function attach (thread: Thread, port: MessagePort, slot: number): Promise<void> {
  const enter = () => Atomics.store(thread.running, 0, slot)
  // Before PortServer's own listener: every message of this session marks the thread as running its code.
  port.on('message', enter)
  const crash = new AbortController()
  let failure: unknown
  const fail = (err: unknown) => {
    if (failure !== undefined) return
    failure = err
    thread.realmLog.error({ err, slot }, 'a session\'s code failed where nothing caught it; that session ends')
    crash.abort(err)
  }
  let context: SessionContext | undefined
  const session = { get context () { return context! }, fail }
  try {
    enter()
    context = freshContext(thread).claim(enter, fail)
    thread.faults.add(session)
    const handler = thread.bundle.instantiate(context)
    await serveSession(port, handler, { realm: thread.realm, realmLog: thread.realmLog, signal: crash.signal, report: true })
  } catch (err) {
    // Before serveSession could report: the context, the bundle's top level, start or resume failed.
    port.postMessage({ t: 'stopped', stopped: 'crash', error: encodeError(failure ?? err, 'SDK_ERR_HANDLER') })
  } finally {
    if (context) thread.faults.delete(session)
    context?.dispose()
    port.close()
    if (Atomics.load(thread.running, 0) === slot) Atomics.store(thread.running, 0, 0)
  }
}

export default async function runContextThread (task: ContextThreadTask): Promise<void> {
  if (task.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`supervisor speaks protocol ${task.version}, this worker-sdk ${PROTOCOL_VERSION}`)
  }
  const realmLog = redactingLogger(task.logLevel, { realm: task.realm })
  const thread: Thread = {
    // Compiled here, once: each session's context runs this same script.
    bundle: new HandlerBundle(task.code, task.filename, { '@sessiond/worker-sdk': sdk }),
    realm: task.realm,
    realmLog,
    faults: new ContextFaults(realmLog),
    running: new Int32Array(task.running),
    ahead: new SessionContext()
  }
  // The thread serves many sessions' first requests: its request path is warmed once, before any of them.
  await warmPortPath()
  const control = task.port
  control.on('message', (m: unknown) => {
    const msg = parseToContextThread(m)
    switch (msg.t) {
      case 'attach': return void attach(thread, msg.port, msg.slot)
      case 'ping': return control.postMessage({ t: 'pong', id: msg.id })
      default: {
        const never: never = msg
        throw new Error(`unhandled message ${(never as { t: string }).t}`)
      }
    }
  })
  control.postMessage({ t: 'booted', threadId })
  // The thread serves until the supervisor lets go of it.
  await once(control, 'close')
}
