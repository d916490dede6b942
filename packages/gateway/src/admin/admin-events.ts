import type { FastifyReply, FastifyRequest } from 'fastify'

/** How often the views are looked at; a change is sent at once, an unchanged one not at all. */
const EVERY_MS = 1000
/** A comment line now and then keeps proxies from timing the stream out. */
const KEEPALIVE_MS = 15_000

/**
 * Server-sent events for the admin page: `snapshot` events, each the whole
 * view as JSON, sent when it differs from the last one sent. One timer per
 * open page; the stream ends when the page goes.
 */
export function adminEvents (request: FastifyRequest, reply: FastifyReply, snapshot: () => Promise<unknown>): void {
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': request.id,
    // nginx buffers responses unless told otherwise: the page would see nothing until the buffer filled.
    'x-accel-buffering': 'no'
  })
  let last = ''
  let quietSince = Date.now()
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      const text = JSON.stringify(await snapshot())
      if (text !== last) {
        last = text
        quietSince = Date.now()
        res.write(`event: snapshot\ndata: ${text}\n\n`)
      } else if (Date.now() - quietSince > KEEPALIVE_MS) {
        quietSince = Date.now()
        res.write(': keep-alive\n\n')
      }
    } catch (err) {
      request.log.warn({ err }, 'admin events: the view could not be read')
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void tick(), EVERY_MS)
  void tick()
  request.raw.once('close', () => clearInterval(timer))
  res.once('close', () => clearInterval(timer))
}
