import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { loadConfig } from '../config.ts'
import type { ConfigOverrides } from '../config.ts'
import { SHUTDOWN_DRAIN_MS, startDaemon } from '../daemon.ts'
import { createLogger } from '../logger.ts'

export const START_USAGE = 'sessiond start --config FILE [--listen HOST:PORT] [--data DIR]'

/** The few settings deployments change, from the environment. The one place env is read. */
export function envOverrides (env: NodeJS.ProcessEnv): ConfigOverrides {
  return {
    ...(env.SESSIOND_LISTEN && { listen: env.SESSIOND_LISTEN }),
    ...(env.SESSIOND_DATA && { dataDir: env.SESSIOND_DATA }),
    ...(env.SESSIOND_STORE_URL && { storeUrl: env.SESSIOND_STORE_URL })
  }
}

export async function start (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      listen: { type: 'string', short: 'l' },
      data: { type: 'string', short: 'd' }
    },
    strict: true
  })
  if (!values.config) throw new Error(`--config is required: ${START_USAGE}`)
  const overrides: ConfigOverrides = {
    ...envOverrides(process.env),
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values.data !== undefined && { dataDir: values.data })
  }
  const config = loadConfig(values.config, overrides)
  const logger = createLogger(config.log.level)
  const daemon = await startDaemon(config, logger, overrides)
  // Signal handling first: a supervisor that reads the banner may signal at once.
  // close-with-grace stops on SIGHUP too; here SIGHUP means reload, as for most daemons.
  // The last resort only: a shutdown drains requests, then gives each worker its stopTimeout.
  const delay = SHUTDOWN_DRAIN_MS + Math.max(0, ...config.realms.map(r => r.stopTimeout)) + 5_000
  closeWithGrace({ delay, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'stopping after an unexpected error')
    else logger.info({ signal }, 'stopping')
    await daemon.close()
  })
  process.on('SIGHUP', () => {
    daemon.reload().catch(() => { /* reload logged why; the previous config keeps running */ })
  })
  process.stdout.write(`sessiond listening on ${daemon.url}\n`)
  if (daemon.demo) {
    process.stdout.write(daemon.demo.password
      ? `demo login: ${daemon.demo.user} ${daemon.demo.password}\n`
      : `demo login: ${daemon.demo.user} (password unknown: reset it with sessiond user add ${daemon.demo.user} --password-stdin --replace)\n`)
  }
}
