import type { ConfigOverrides } from '../config.ts'
import { envOverrides } from './env-overrides.ts'

/**
 * The overrides of the cluster commands: `sessiond start`'s (listen, data
 * directory, store URL), then a host's own part of a cluster file that
 * every host shares: its id and advertised URL from SESSIOND_HOST and
 * SESSIOND_ADVERTISE, flags first.
 */
export function clusterOverrides (env: NodeJS.ProcessEnv, flags: { listen?: string, data?: string, host?: string, clusterListen?: string, advertise?: string }): ConfigOverrides {
  const cluster = {
    host: flags.host ?? (env.SESSIOND_HOST || undefined),
    listen: flags.clusterListen,
    advertise: flags.advertise ?? (env.SESSIOND_ADVERTISE || undefined)
  }
  return {
    ...envOverrides(env),
    ...(flags.listen !== undefined && { listen: flags.listen }),
    ...(flags.data !== undefined && { dataDir: flags.data }),
    ...(Object.values(cluster).some(v => v !== undefined) && { cluster })
  }
}
