import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { SHUTDOWN_DRAIN_MS } from '../drain-listener.ts'
import { startGatewayDaemon } from '../gateway-daemon.ts'
import { createLogger } from '../logger.ts'
import { notifyReady } from '../sd-notify.ts'
import { clusterOverrides } from './cluster-overrides.ts'
import { LISTENER_OPTIONS, serveUntilSignal } from './serve-until-signal.ts'
import { GATEWAY_USAGE } from './cluster-commands.ts'

/** A cluster's front: login, cookies, realms; the workers are on the supervisor hosts (docs/deploy/cluster.md). */
export async function gateway (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: LISTENER_OPTIONS,
    strict: true
  })
  if (!values.config) throw new Error(`--config is required: ${GATEWAY_USAGE}`)
  const overrides = clusterOverrides(process.env, { listen: values.listen, data: values.data })
  const config = loadConfig(values.config, overrides)
  const logger = createLogger(config.log.level, { pretty: config.log.pretty })
  // `sessiond stop` takes the same path as SIGTERM.
  const daemon = await startGatewayDaemon(config, logger, overrides, { onStopRequest: () => process.kill(process.pid, 'SIGTERM') })
  serveUntilSignal(logger, SHUTDOWN_DRAIN_MS + 5_000, daemon)
  process.stdout.write(`sessiond gateway listening on ${daemon.url}\n`)
  if (daemon.metricsUrl) process.stdout.write(`sessiond metrics on ${daemon.metricsUrl}\n`)
  await notifyReady(process.env, logger)
  if (daemon.demo?.password) process.stdout.write(`demo login: ${daemon.demo.user} ${daemon.demo.password}\n`)
}
