import { parseArgs } from 'node:util'
import { parseDuration } from '@sessiond/supervisor'
import { loadConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { openClusterClient } from './cluster-client.ts'
import { clusterOverrides } from './cluster-overrides.ts'
import { DRAIN_USAGE } from './cluster-commands.ts'


/** Moves every worker of HOST to other hosts; the host takes no new sessions after and can then stop. */
export async function drain (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, deadline: { type: 'string' } },
    allowPositionals: true,
    strict: true
  })
  if (positionals.length !== 1 || !values.config) throw new Error(`usage: ${DRAIN_USAGE}`)
  let deadlineMs: number | undefined
  if (values.deadline !== undefined) {
    try {
      deadlineMs = parseDuration(values.deadline)
    } catch {
      throw new Error(`--deadline: expected a duration such as 60s or 2m, got ${values.deadline}`)
    }
  }
  const config = loadConfig(values.config, clusterOverrides(process.env, {}))
  const client = await openClusterClient(config, createLogger('warn'))
  try {
    const summary = await client.dispatcher.drain(positionals[0], deadlineMs === undefined ? {} : { deadlineMs })
    process.stdout.write(`drained ${summary.host}: ${summary.moved} moved, ${summary.failed} not moved\n`)
    if (summary.failed > 0) process.exitCode = 1
  } finally {
    await client.close()
  }
}
