#!/usr/bin/env node
import { enableCompileCache } from 'node:module'
import { CERT_USAGE, cert } from './cert.ts'
import { CLUSTER_CERT_USAGE } from './cluster-cert.ts'
import { DRAIN_USAGE, drain } from './drain.ts'
import { GATEWAY_USAGE, gateway } from './gateway.ts'
import { MIGRATE_USAGE, migrate } from './migrate.ts'
import { SUPERVISOR_USAGE, supervisor } from './supervisor.ts'
import { KEYS_USAGE, keys } from './keys.ts'
import { START_USAGE, start } from './start.ts'
import { USER_USAGE, user } from './user.ts'

const USAGE = `usage:
  ${START_USAGE}
  ${USER_USAGE}
  ${CERT_USAGE}
  ${KEYS_USAGE}
several hosts (docs/deploy/cluster.md):
  ${SUPERVISOR_USAGE}
  ${GATEWAY_USAGE}
  ${DRAIN_USAGE}
  ${MIGRATE_USAGE}
  ${CLUSTER_CERT_USAGE}`

const commands: Record<string, (argv: string[]) => Promise<void>> = { start, user, cert, keys, supervisor, gateway, drain, migrate }

// Every worker thread compiles (and strips the types of) the same modules;
// Node's on-disk compile cache lets each new worker skip that work (measured:
// bench/cold-start.ts, bench/worker-rss.ts). Workers inherit the directory
// through the environment.
const cache = enableCompileCache()
if (cache.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory

const [command, ...rest] = process.argv.slice(2)
const run = command === undefined ? undefined : commands[command]
if (!run) {
  process.stderr.write(`${command === undefined || command === 'help' || command === '--help' ? '' : `unknown command ${command}\n`}${USAGE}\n`)
  process.exit(command === 'help' || command === '--help' ? 0 : 2)
}
try {
  await run(rest)
} catch (err) {
  const e = err as { code?: string, message?: string }
  process.stderr.write(`sessiond ${command}: ${e.message ?? String(err)}\n`)
  process.exit(e.code === 'GW_ERR_CONFIG' ? 78 : 1)
}
