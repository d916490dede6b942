import { parseArgs } from 'node:util'
import { sessionHash } from '@sessiond/supervisor'
import { loadConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { openClusterClient } from './cluster-client.ts'
import { clusterOverrides } from './cluster-overrides.ts'
import { MIGRATE_USAGE } from './cluster-commands.ts'


/**
 * Moves one session's worker of one realm to HOST: thread and process
 * workers hibernate and resume there; an exec worker is stopped and
 * started afresh there (its kind keeps no state).
 */
export async function migrate (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' } },
    allowPositionals: true,
    strict: true
  })
  if (positionals.length !== 3 || !values.config) throw new Error(`usage: ${MIGRATE_USAGE}`)
  const [sessionId, realm, host] = positionals
  const config = loadConfig(values.config, clusterOverrides(process.env, {}))
  const client = await openClusterClient(config, createLogger('warn'))
  try {
    const placed = await client.dispatcher.migrate(sessionId, realm, host)
    // The id is a credential: the output names the session by its hash, as the logs do.
    process.stdout.write(`moved ${realm} of session ${sessionHash(sessionId)} to ${placed.host} (epoch ${placed.epoch})\n`)
  } finally {
    await client.close()
  }
}
