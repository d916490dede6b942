import type { ConfigOverrides } from '../config.ts'

/** The few settings deployments change, from the environment. The one place env is read. */
export function envOverrides (env: NodeJS.ProcessEnv): ConfigOverrides {
  return {
    ...(env.SESSIOND_LISTEN && { listen: env.SESSIOND_LISTEN }),
    ...(env.SESSIOND_DATA && { dataDir: env.SESSIOND_DATA }),
    ...(env.SESSIOND_STORE_URL && { storeUrl: env.SESSIOND_STORE_URL })
  }
}
