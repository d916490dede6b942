import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { notifyReady } from '../sd-notify.ts'
import { startSupervisorDaemon } from '../supervisor-daemon.ts'
import { clusterOverrides } from './cluster-overrides.ts'
import { serveUntilSignal } from './serve-until-signal.ts'
import { SUPERVISOR_USAGE } from './cluster-commands.ts'

/** One host's workers in a cluster (docs/deploy/cluster.md). */
export async function supervisor (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      'cluster-listen': { type: 'string' },
      advertise: { type: 'string' },
      data: { type: 'string', short: 'd' }
    },
    strict: true
  })
  if (!values.config) throw new Error(`--config is required: ${SUPERVISOR_USAGE}`)
  const overrides = clusterOverrides(process.env, { data: values.data, host: values.host, clusterListen: values['cluster-listen'], advertise: values.advertise })
  const config = loadConfig(values.config, overrides)
  const logger = createLogger(config.log.level, { pretty: config.log.pretty })
  const daemon = await startSupervisorDaemon(config, logger, overrides)
  // A drain on the way out may take the move wait for each session, then every worker its stop timeout.
  serveUntilSignal(logger, (config.cluster?.moveWait ?? 10_000) + Math.max(0, ...config.realms.map(r => r.stopTimeout)) + 15_000, daemon)
  process.stdout.write(`sessiond supervisor ${daemon.hostId} serving gateways at ${daemon.url}\n`)
  await notifyReady(process.env, logger)
}
