import { ProtocolError } from '../errors.ts'
import { SESSION_DATA_ARITY } from '../context.ts'
import type { FromWorker, ToWorker } from './messages.ts'

// The one place where `unknown` becomes a message. Both ends of a port are
// our own code, so this checks the discriminant and the id cheaply rather
// than validating every field: it exists to turn a confused peer into an
// error instead of undefined behaviour. The tables are typed by the unions,
// so a message type added to messages.ts fails to compile until it is
// listed here.

/** Per message type: whether it carries a numeric `id`. */
const TO_WORKER: Record<ToWorker['t'], boolean> = {
  claim: false, stop: false, checkpoint: false, req: true, chunk: true, end: true, ack: true, abort: true, frame: true, close: true, 'store-result': true
}
const FROM_WORKER: Record<FromWorker['t'], boolean> = {
  booted: false, ready: false, checkpointed: false, stopped: false, res: true, error: true, open: true, chunk: true, end: true, ack: true, abort: true, frame: true, close: true, store: true
}

export { ProtocolError }

function check (m: unknown, table: Record<string, boolean>): void {
  if (typeof m !== 'object' || m === null) throw new ProtocolError('message is not an object')
  const t = (m as { t?: unknown }).t
  if (typeof t !== 'string' || !Object.hasOwn(table, t)) throw new ProtocolError(`unexpected message type ${String(t)}`)
  if (table[t] && typeof (m as { id?: unknown }).id !== 'number') throw new ProtocolError(`message ${t} has no numeric id`)
}

/** A socket frame or close, the messages that application code fills in. */
function checkSocket (m: { t: string }): void {
  if (m.t === 'frame') {
    const { data } = m as { data?: unknown }
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new ProtocolError('frame data is neither text nor bytes')
  } else if (m.t === 'close') {
    const { code, reason } = m as { code?: unknown, reason?: unknown }
    if (typeof code !== 'number' || typeof reason !== 'string') throw new ProtocolError('close without a numeric code and a reason')
    const { unsent } = m as { unsent?: unknown }
    if (unsent !== undefined && !(Array.isArray(unsent) && unsent.every(d => typeof d === 'string' || d instanceof Uint8Array))) throw new ProtocolError('close with unsent frames that are neither text nor bytes')
  }
}

export function parseToWorker (m: unknown): ToWorker {
  check(m, TO_WORKER)
  checkSocket(m as ToWorker)
  return m as ToWorker
}

export function parseFromWorker (m: unknown): FromWorker {
  check(m, FROM_WORKER)
  const msg = m as FromWorker
  // A store call is a method of ctx.store (SessionData) with its number of string arguments.
  if (msg.t === 'store' && (!Object.hasOwn(SESSION_DATA_ARITY, msg.op) || !Array.isArray(msg.args) || msg.args.length !== SESSION_DATA_ARITY[msg.op] || !msg.args.every(a => typeof a === 'string'))) {
    throw new ProtocolError(`bad store call ${String(msg.op)}`)
  }
  checkSocket(msg)
  return msg
}
