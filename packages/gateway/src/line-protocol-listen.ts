import { dirname, resolve } from 'node:path'
import { LineProtocolListener, readLineProtocolSecret } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import { parseListenAddress } from '@sessiond/supervisor'
import type { Config } from './config.ts'

/** The classic line protocol on `store.protocolListen`, when set (the daemon's and a cluster gateway's). */
export async function listenLineProtocol (config: Config, store: SessionStore): Promise<LineProtocolListener | null> {
  if (!config.store.protocolListen) return null
  // A bare port listens on loopback: without protocolAuth, anyone who reaches the port reaches every session it can name.
  const { protocolAuth, protocolLimits: limits = {} } = config.store
  return LineProtocolListener.listen(store, {
    ...parseListenAddress(config.store.protocolListen),
    ttlMs: config.session.maxAge,
    secret: protocolAuth === undefined ? undefined : await readLineProtocolSecret(resolve(dirname(config.file), protocolAuth)),
    maxConnections: limits.connections,
    maxConnectionsPerAddress: limits.connectionsPerAddress,
    maxCommandsInFlight: limits.commandsInFlight,
    newPerSecond: limits.newPerSecond,
    newPerSecondPerConnection: limits.newPerSecondPerConnection
  })
}
