import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import type { ConfigOverrides } from '../config.ts'
import { envOverrides } from './env-overrides.ts'

// Where the one place that reads the environment lives (tests import it from here too).
export { envOverrides }
import { startDaemon } from '../daemon.ts'
import { SHUTDOWN_DRAIN_MS } from '../drain-listener.ts'
import { createLogger } from '../logger.ts'
import { notifyReady } from '../sd-notify.ts'
import { START_USAGE } from './commands.ts'
import { LISTENER_OPTIONS, serveUntilSignal } from './serve-until-signal.ts'


export async function start (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: LISTENER_OPTIONS,
    strict: true
  })
  if (!values.config) throw new Error(`--config is required: ${START_USAGE}`)
  const overrides: ConfigOverrides = {
    ...envOverrides(process.env),
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values.data !== undefined && { dataDir: values.data })
  }
  const config = loadConfig(values.config, overrides)
  const logger = createLogger(config.log.level, { pretty: config.log.pretty })
  // `sessiond stop` takes the same path as SIGTERM (serveUntilSignal below).
  const daemon = await startDaemon(config, logger, overrides, { onStopRequest: () => process.kill(process.pid, 'SIGTERM') })
  // Signal handling first: a supervisor that reads the banner may signal at once.
  // The last resort only: a shutdown drains requests, then gives each worker its stopTimeout.
  serveUntilSignal(logger, SHUTDOWN_DRAIN_MS + Math.max(0, ...config.realms.map(r => r.stopTimeout)) + 5_000, daemon)
  process.stdout.write(`sessiond listening on ${daemon.url}\n`)
  if (daemon.metricsUrl) process.stdout.write(`sessiond metrics on ${daemon.metricsUrl}\n`)
  await notifyReady(process.env, logger)
  if (daemon.demo) {
    process.stdout.write(daemon.demo.password
      ? `demo login: ${daemon.demo.user} ${daemon.demo.password}\n`
      : `demo login: ${daemon.demo.user} (password unknown: reset it with sessiond user add ${daemon.demo.user} --password-stdin --replace)\n`)
    if (daemon.demo.account) process.stdout.write(`demo user runs its runAs workers as ${daemon.demo.account}\n`)
  }
}
