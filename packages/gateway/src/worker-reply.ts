import type { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import type { WorkerResponse } from '@sessiond/supervisor'
import { isForwardableResponseHeader } from './forwarded-headers.ts'
import { markNoContentType } from './missing-content-type.ts'

/** A worker's answer as the client gets it: its headers less hop-by-hop ones, the realm's CSP in place of its own. */
export function sendWorkerReply (reply: FastifyReply, res: WorkerResponse, csp: string | null): FastifyReply {
  reply.code(res.status)
  const whole = !(res.body && 'pipe' in res.body)
  const h = res.headers
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]
    // A whole body gets its length from Fastify; a worker's own figure could disagree.
    if (!isForwardableResponseHeader(name) || (whole && res.body && name === 'content-length')) continue
    if (csp !== null && name === 'content-security-policy') continue
    reply.header(name, h[i + 1])
  }
  if (csp !== null) reply.header('content-security-policy', csp)
  if (!reply.hasHeader('content-type')) markNoContentType(reply)
  if (res.body === null) return reply.send()
  if (whole) {
    const u8 = res.body as Uint8Array
    return reply.send(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength))
  }
  return reply.send(res.body as Readable)
}
