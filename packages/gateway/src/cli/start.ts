import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { loadConfig } from '../config.ts'
import type { ConfigOverrides } from '../config.ts'
import { startDaemon } from '../daemon.ts'
import { createLogger } from '../logger.ts'

export const START_USAGE = 'sessiond start --config FILE [--listen HOST:PORT] [--data DIR]'
export const START_HELP = `${START_USAGE}

Starts the daemon: the gateway, the embedded supervisor and the session store,
in one process. Prints "sessiond listening on URL" (the real port when given
port 0), stops cleanly on SIGINT and SIGTERM and reloads the config on SIGHUP.
Refuses to start (exit status 78) on an invalid config or a handler whose
imports cannot be resolved.

  -c, --config FILE        the config file (YAML or JSON), relative to this directory
  -l, --listen HOST:PORT   overrides listen (also SESSIOND_LISTEN)
  -d, --data DIR           overrides dataDir (also SESSIOND_DATA)
  -h, --help               this text

SESSIOND_STORE_URL=redis://… moves the store to Redis.`

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
  closeWithGrace({ delay: 10_000, skip: ['SIGHUP'] }, async ({ signal, err }) => {
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
