import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Config } from './config.ts'
import { nodeHttpLimits } from './node-http-limits.ts'

export interface HttpRedirectOptions {
  host: string
  port: number
  /** A fixed target origin (`https://example.com:8443`); by default the request's host on `httpsPort`. */
  origin?: string
  status: 301 | 308
  /** The HTTPS listener's port: the target when no origin is configured. */
  httpsPort: number
  /** The HTTPS listener's certificate (PEM): a Host it does not cover gets no redirect. */
  cert: Buffer
  limits: Config['limits']
}

export interface HttpRedirect {
  url: string
  close (): Promise<void>
}

const HOST = /^(?:([A-Za-z0-9.-]+)|\[([0-9A-Fa-f:.]+)\])(?::([0-9]{1,5}))?$/

/**
 * The origin a request's Host names on the HTTPS listener, or undefined when
 * the Host is no name the certificate covers: a redirect never sends a
 * browser somewhere this server could not be, whatever the Host header says.
 */
export function httpsOriginFor (host: string | undefined, cert: X509Certificate, httpsPort: number): string | undefined {
  const m = host === undefined ? null : HOST.exec(host)
  if (!m) return undefined
  const name = (m[1] ?? m[2]).toLowerCase()
  const covered = isIP(name) ? cert.checkIP(name) !== undefined : !name.endsWith('.') && cert.checkHost(name) !== undefined
  if (!covered) return undefined
  const hostPart = m[2] !== undefined ? `[${name}]` : name
  return `https://${hostPart}${httpsPort === 443 ? '' : `:${httpsPort}`}`
}

/**
 * A plain-HTTP listener that answers every request with a redirect to the
 * same path and query over HTTPS. It reads no body: a request that has one
 * gets the redirect and the connection closes.
 */
export async function listenHttpRedirect (opts: HttpRedirectOptions): Promise<HttpRedirect> {
  const cert = new X509Certificate(opts.cert)
  const { limits } = opts
  const server: Server = createServer({
    ...nodeHttpLimits(limits),
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout
  }, (req: IncomingMessage, res: ServerResponse) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0'
    const close = hasBody ? { connection: 'close' } : {}
    const origin = opts.origin ?? httpsOriginFor(req.headers.host, cert, opts.httpsPort)
    const path = req.url ?? ''
    // Only origin-form targets (`/path?query`): `*` and absolute forms name no path here.
    if (origin === undefined || !path.startsWith('/')) {
      res.writeHead(400, { 'content-type': 'application/json', ...close })
      res.end(JSON.stringify({ error: 'GW_ERR_BAD_REDIRECT_HOST', message: 'no HTTPS origin for this Host: use https:// and a name the certificate covers' }))
      return
    }
    res.writeHead(opts.status, { location: origin + path, 'content-length': '0', ...close })
    res.end()
  })
  server.maxConnections = limits.maxConnections
  server.listen(opts.port, opts.host)
  await once(server, 'listening')
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return {
    url: `http://${host}:${addr.port}`,
    async close () {
      const closed = once(server, 'close')
      server.close()
      // Nothing in flight is worth waiting for: every answer here is one header block.
      server.closeAllConnections()
      await closed
    }
  }
}
