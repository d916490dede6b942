// An HTTP upgrade on a connection of its own: how the supervisor opens a
// socket to a process or exec worker (upgradeChild), and how a gateway opens
// one to a supervisor on another host (cluster/remote-supervisor.ts).
import { request } from 'node:http'
import type { IncomingMessage, RequestOptions } from 'node:http'
import { request as requestTls } from 'node:https'
import type { Socket } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import type { WorkerResponse } from './dispatcher.ts'
import type { WorkerEndpoint } from './worker-endpoint.ts'

/** A refusal's body is a short page: read whole, and no more of it than this. */
const MAX_REFUSAL_BYTES = 64 * 1024

export type ChildUpgrade =
  | { type: 'upgraded', headers: string[], socket: Socket, head: Buffer }
  | { type: 'refused', response: WorkerResponse }

async function refusal (res: IncomingMessage, connection: { destroy (): void }): Promise<WorkerResponse> {
  const chunks: Buffer[] = []
  let bytes = 0
  try {
    for await (const chunk of res) {
      bytes += (chunk as Buffer).byteLength
      if (bytes > MAX_REFUSAL_BYTES) break
      chunks.push(chunk as Buffer)
    }
  } finally {
    // A failed upgrade never leaves the upstream connection behind (node-http-proxy's leak).
    connection.destroy()
  }
  const headers: string[] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push(res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1])
  return { status: res.statusCode ?? 502, headers, body: new Uint8Array(Buffer.concat(chunks)) }
}

/** Where an upgrade request goes: a unix socket, or a host and port, with TLS options for https. */
export type UpgradeTarget = ({ socketPath: string } | { host: string, port: number }) & { tls?: ConnectionOptions }

/** One upgrade request to a child worker: see upgradeRequest. */
export function upgradeChild (endpoint: WorkerEndpoint, path: string, headers: string[], timeoutMs: number): Promise<ChildUpgrade> {
  return upgradeRequest(endpoint.kind === 'unix' ? { socketPath: endpoint.socketPath } : { host: '127.0.0.1', port: endpoint.port }, path, headers, timeoutMs)
}

/**
 * One upgrade request on a connection of its own (never a pool's): the
 * connection it gets once the peer answers 101, or the peer's ordinary
 * answer. The connection is destroyed on every other outcome: an error, a
 * timeout, a refusal, the signal.
 */
export function upgradeRequest (target: UpgradeTarget, path: string, headers: string[], timeoutMs: number, signal?: AbortSignal): Promise<ChildUpgrade> {
  return new Promise((resolve, reject) => {
    const { tls, ...where } = target
    const options: RequestOptions = {
      ...where,
      path,
      method: 'GET',
      headers,
      agent: false,
      setHost: !headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host'),
      ...(signal && { signal })
    }
    const req = tls ? requestTls({ ...options, ...tls }) : request(options)
    const timer = timeoutMs > 0 ? setTimeout(() => req.destroy(Object.assign(new Error('upgrade timed out'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), timeoutMs) : null
    req.once('upgrade', (res, socket, head) => {
      if (timer) clearTimeout(timer)
      const h: string[] = []
      for (let i = 0; i < res.rawHeaders.length; i += 2) h.push(res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1])
      resolve({ type: 'upgraded', headers: h, socket, head })
    })
    // The connection itself, whichever way it ends: a response detaches it from both the request and the answer.
    let connection: Socket | null = null
    req.once('socket', (s) => { connection = s })
    req.once('response', (res) => {
      if (timer) clearTimeout(timer)
      refusal(res, { destroy: () => { connection?.destroy(); req.destroy() } }).then(response => resolve({ type: 'refused', response }), reject)
    })
    req.once('error', (err) => {
      if (timer) clearTimeout(timer)
      req.destroy()
      reject(err)
    })
    req.end()
  })
}
