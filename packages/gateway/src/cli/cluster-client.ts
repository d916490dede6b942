import type { Logger } from 'pino'
import { RedisStore } from '@sessiond/session-store'
import { CallSigner, ClusterDispatcher, GATEWAY_ROLE } from '@sessiond/supervisor'
import { readClusterAuth } from '../cluster-auth-files.ts'
import type { Config } from '../config.ts'
import { ConfigError } from '../errors.ts'

/**
 * The cluster as an operator's command reaches it: a ClusterDispatcher
 * from the config's cluster section, calling supervisors as a gateway does
 * (with mutual TLS, run it with a gateway's config and certificate).
 */
export async function openClusterClient (config: Config, logger: Logger): Promise<{ dispatcher: ClusterDispatcher, close (): Promise<void> }> {
  const cluster = config.cluster
  if (!cluster) throw new ConfigError(`invalid config ${config.file}:\n  /cluster: expected a cluster section, got nothing`)
  const auth = await readClusterAuth(cluster, GATEWAY_ROLE)
  const store = await RedisStore.connect({ url: cluster.redis })
  const directory = await store.directory()
  const dispatcher = new ClusterDispatcher({ directory, signer: new CallSigner(auth), logger, holdMs: cluster.hold, leaseMs: cluster.lease, requestTimeoutMs: config.limits.requestTimeout, realms: config.realms })
  await dispatcher.start()
  return {
    dispatcher,
    async close () {
      await dispatcher.close()
      await directory.close()
      await store.close()
    }
  }
}
