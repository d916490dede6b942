import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { BadRequestError, HeadersTooLargeError, RequestTimeoutError } from './errors.ts'

/** Node's parser codes (llhttp's HPE_*, and its own timeouts) as the gateway's coded errors. */
function codedFor (err: NodeJS.ErrnoException): { statusCode: number, code: string, message: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new HeadersTooLargeError()
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT') return new RequestTimeoutError()
  return new BadRequestError(err.code ?? 'unparseable request')
}

/**
 * What a request that Node's HTTP parser refuses gets, before any route:
 * the same reply shape as every other error (error-reply.ts), with a
 * request id, and one log line. The connection closes: after a framing
 * error nothing more on it can be trusted.
 */
export function clientErrorHandler (nextId: () => string, log: FastifyBaseLogger): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    // ECONNRESET and friends: the client is gone, there is no one to answer.
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy()
    const coded = codedFor(err)
    const requestId = nextId()
    log.info({ reqId: requestId, code: coded.code, status: coded.statusCode, parser: err.code }, coded.message)
    const body = JSON.stringify({ error: coded.code, message: coded.message, requestId })
    socket.end(`HTTP/1.1 ${coded.statusCode} ${STATUS_TEXT[coded.statusCode]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`)
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }
