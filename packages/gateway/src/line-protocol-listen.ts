import { dirname, resolve } from 'node:path'
import { LineProtocolListener, readLineProtocolSecret } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import type { Config } from './config.ts'

/** The classic line protocol on `store.protocolListen`, when set; a bare port listens on loopback. */
export async function listenLineProtocol (config: Config, store: SessionStore): Promise<LineProtocolListener | null> {
  if (!config.store.protocolListen) return null
  // A bare port listens on loopback: without protocolAuth, anyone who reaches the port reaches every session it can name.
  const at = config.store.protocolListen.lastIndexOf(':')
  const { protocolAuth, protocolLimits: limits = {} } = config.store
  return LineProtocolListener.listen(store, {
    host: at === -1 ? '127.0.0.1' : config.store.protocolListen.slice(0, at).replace(/^\[|\]$/g, ''),
    port: Number(config.store.protocolListen.slice(at + 1)),
    ttlMs: config.session.maxAge,
    secret: protocolAuth === undefined ? undefined : await readLineProtocolSecret(resolve(dirname(config.file), protocolAuth)),
    maxConnections: limits.connections,
    maxConnectionsPerAddress: limits.connectionsPerAddress,
    maxCommandsInFlight: limits.commandsInFlight,
    newPerSecond: limits.newPerSecond,
    newPerSecondPerConnection: limits.newPerSecondPerConnection
  })
}
