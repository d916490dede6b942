import { STORE_OPS } from './messages.ts'
import type { FromWorker, ToWorker } from './messages.ts'

// The one place where `unknown` becomes a message. Both ends of a port are
// our own code, so this checks the discriminant and the id cheaply rather
// than validating every field: it exists to turn a confused peer into an
// error instead of undefined behaviour.

const TO_WORKER = new Set(['claim', 'req', 'chunk', 'end', 'ack', 'abort', 'stop', 'store-result'])
const FROM_WORKER = new Set(['booted', 'ready', 'res', 'chunk', 'end', 'ack', 'error', 'store'])
const UNNUMBERED = new Set(['booted', 'claim', 'ready', 'stop'])
const STORE_OP_SET = new Set<string>(STORE_OPS)

export class ProtocolError extends Error {
  readonly code = 'SDK_ERR_PROTOCOL'
  readonly statusCode = 502
}

function check (m: unknown, allowed: Set<string>): void {
  if (typeof m !== 'object' || m === null) throw new ProtocolError('message is not an object')
  const t = (m as { t?: unknown }).t
  if (typeof t !== 'string' || !allowed.has(t)) throw new ProtocolError(`unexpected message type ${String(t)}`)
  if (!UNNUMBERED.has(t) && typeof (m as { id?: unknown }).id !== 'number') {
    throw new ProtocolError(`message ${t} has no numeric id`)
  }
}

export function parseToWorker (m: unknown): ToWorker {
  check(m, TO_WORKER)
  return m as ToWorker
}

export function parseFromWorker (m: unknown): FromWorker {
  check(m, FROM_WORKER)
  const msg = m as FromWorker
  if (msg.t === 'store' && (!STORE_OP_SET.has(msg.op) || !Array.isArray(msg.args) || !msg.args.every(a => typeof a === 'string'))) {
    throw new ProtocolError(`bad store call ${String(msg.op)}`)
  }
  return msg
}
