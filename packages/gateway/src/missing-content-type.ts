import type { FastifyInstance, FastifyReply } from 'fastify'

const NO_TYPE = Symbol('sessiond.noContentType')

type Marked = FastifyReply & { [NO_TYPE]?: true }

/**
 * A worker's response without a Content-Type reaches the client without
 * one. Fastify labels a Buffer or stream body `application/octet-stream`,
 * which makes a browser download what it would otherwise sniff and show
 * (an HTML page, a text file). Leaving the header out is what a plain HTTP
 * server does; `X-Content-Type-Options: nosniff` (security-headers.ts) is
 * not set on realm responses, so the browser sniffs as it would anywhere.
 */
export function keepContentTypeMissing (app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply: Marked, payload) => {
    if (reply[NO_TYPE]) reply.removeHeader('content-type')
    return payload
  })
}

/** Marks a reply whose worker gave no Content-Type. */
export function markNoContentType (reply: FastifyReply): void {
  (reply as Marked)[NO_TYPE] = true
}
