import { resolve } from 'node:path'
import { loadConfig } from '../config.ts'
import { envOverrides } from './env-overrides.ts'

/** The data directory a command means: the config's (--config, with --data over it), --data, SESSIOND_DATA, or ./.sessiond. */
export function dataDirOf (values: { config?: string, data?: string }): string {
  const env = envOverrides(process.env)
  if (values.config) return loadConfig(values.config, { ...env, ...(values.data && { dataDir: values.data }) }).dataDir
  return resolve(values.data ?? env.dataDir ?? '.sessiond')
}

/** The options every command that finds a daemon by its data directory takes. */
export const DATA_DIR_OPTIONS = {
  config: { type: 'string', short: 'c' },
  data: { type: 'string', short: 'd' }
} as const
