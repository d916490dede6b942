import { parseArgs } from 'node:util'
import closeWithGrace from 'close-with-grace'
import { loadConfig } from '../config.ts'
import type { ConfigOverrides } from '../config.ts'
import { envOverrides } from './env-overrides.ts'

// Where the one place that reads the environment lives (tests import it from here too).
export { envOverrides }
import { SHUTDOWN_DRAIN_MS, startDaemon } from '../daemon.ts'
import { createLogger } from '../logger.ts'
import { START_USAGE } from './commands.ts'


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
    if (daemon.demo.account) process.stdout.write(`demo user runs its runAs workers as ${daemon.demo.account}\n`)
  }
}
