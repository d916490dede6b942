// Everything a role with the gateway in it (sessiond start, sessiond
// gateway) listens on: its own port, then /metrics (metrics.listen), the
// control socket, the plain-HTTP redirect (httpRedirect) and the store's
// line protocol (store.protocolListen). Opened in that order; a failure
// closes what was opened and throws. Closed with the redirect first, then
// the main listener drained, then the rest: what runs behind them (workers,
// dispatcher, store) is the caller's to stop afterwards.
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { LineProtocolListener, SessionStore } from '@sessiond/session-store'
import type { Dispatcher } from '@sessiond/supervisor'
import { adminApi } from './admin/admin-api.ts'
import { SOCKET_CALLER } from './admin/admin-auth.ts'
import type { Config } from './config.ts'
import { controlSocketPath, listenControlSocket } from './control-socket.ts'
import { drainListener } from './drain-listener.ts'
import { ConfigError } from './errors.ts'
import { listenHttpRedirect } from './http-redirect.ts'
import type { HttpRedirect } from './http-redirect.ts'
import { listenLineProtocol } from './line-protocol-listen.ts'
import { listenMetrics } from './metrics/metrics-listener.ts'
import type { GatewayOps } from './server.ts'

export interface FrontListeners {
  /** The main listener's URL. */
  url: string
  httpRedirect: HttpRedirect | null
  lineProtocol: LineProtocolListener | null
  /** `metrics.listen`'s URL of /metrics, when it is set. */
  metricsUrl: string | null
  /** The control socket's path (control-socket.ts). */
  controlSocket: string
  close (): Promise<void>
}

export interface FrontListenOptions {
  config: Config
  app: FastifyInstance
  logger: Logger
  store: SessionStore
  dispatcher: Dispatcher
  ops: GatewayOps
  tls: { cert: Buffer, key: Buffer } | null | undefined
  /** What `sessiond stop` on the control socket does. */
  stop: () => void
}

/** host:port of a listening address as a URL's authority (IPv6 bracketed). */
function authority (addr: AddressInfo): string {
  return `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
}

export async function listenFront ({ config, app, logger, store, dispatcher, ops, tls, stop }: FrontListenOptions): Promise<FrontListeners> {
  let metricsApp: FastifyInstance | null = null
  let control: FastifyInstance | null = null
  let httpRedirect: HttpRedirect | null = null
  let lineProtocol: LineProtocolListener | null = null
  try {
    await app.listen({ host: config.host, port: config.port })
    if (config.metrics.listen) metricsApp = await listenMetrics(ops.metrics, config.metrics.listen, logger)
    control = await listenControlSocket({
      dataDir: config.dataDir,
      logger,
      routes: (socket) => adminApi(socket, { dispatcher, store, metrics: ops.metrics, reload: ops.reload, caller: async () => SOCKET_CALLER, logger }),
      stop
    })
    if (config.httpRedirect && tls) {
      httpRedirect = await listenHttpRedirect({ ...config.httpRedirect, httpsPort: (app.server.address() as AddressInfo).port, cert: tls.cert, limits: config.limits })
    }
    lineProtocol = await listenLineProtocol(config, store)
  } catch (err) {
    await httpRedirect?.close()
    await control?.close()
    await metricsApp?.close()
    await app.close()
    throw err
  }
  const metricsAddr = metricsApp?.server.address() as AddressInfo | undefined
  return {
    url: `${tls ? 'https' : 'http'}://${authority(app.server.address() as AddressInfo)}`,
    httpRedirect,
    lineProtocol,
    metricsUrl: metricsAddr ? `http://${authority(metricsAddr)}/metrics` : null,
    controlSocket: controlSocketPath(config.dataDir),
    async close () {
      await httpRedirect?.close()
      await drainListener(app)
      await control?.close()
      await metricsApp?.close()
      await lineProtocol?.close()
    }
  }
}

/** A TLS file of the config, or a ConfigError that names it. */
export async function readTlsFile (file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new ConfigError(`cannot read TLS file ${file}: ${(err as Error).message}`, { cause: err })
  }
}
