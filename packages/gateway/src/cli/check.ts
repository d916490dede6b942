import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { contextBundle } from '@sessiond/supervisor'
import { loadConfig } from '../config.ts'
import type { Config } from '../config.ts'
import { HandlerLoadError } from '../errors.ts'
import { handlerPath, preflightHandlers } from '../handler-preflight.ts'
import { checkUserSource } from '../user-source.ts'
import { envOverrides } from './env-overrides.ts'
import { CHECK_USAGE } from './commands.ts'


function executable (file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    // Not there, or not executable: either way not runnable.
    return false
  }
}

/** Where an exec realm's command is found, as spawn would find it; null when it is not. */
function findCommand (command: string, base: string): string | null {
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : join(base, command)
    return executable(file) ? file : null
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (executable(join(dir, command))) return join(dir, command)
  }
  return null
}

/** A context realm's handler must bundle, as the daemon bundles it at start: false, with the reason in `failed`, when it does not. */
function bundles (realm: Config['realms'][number], failed: string[]): boolean {
  try {
    contextBundle(realm)
    return true
  } catch (err) {
    failed.push((err as Error).message)
    return false
  }
}

export async function check (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, data: { type: 'string', short: 'd' } },
    strict: true
  })
  if (!values.config) throw new Error(`--config is required: ${CHECK_USAGE}`)
  const config: Config = loadConfig(values.config, { ...envOverrides(process.env), ...(values.data !== undefined && { dataDir: values.data }) })
  const out = (line: string) => process.stdout.write(line + '\n')
  out(`config ${config.file}: valid`)
  const users = await checkUserSource(config)
  out(`users: ${users}`)
  const problems = await preflightHandlers(config.realms, { evaluate: true })
  const failed: string[] = []
  for (const realm of config.realms) {
    const where = `realm ${realm.name} (${realm.mount}/, ${realm.kind})`
    if (realm.kind === 'exec') {
      const found = findCommand(realm.command![0], process.cwd())
      if (found) out(`${where}: command ${found}`)
      else failed.push(`realm ${realm.name}: command ${JSON.stringify(realm.command![0])} not found (PATH, or a path relative to ${process.cwd()})`)
      continue
    }
    const file = handlerPath(realm.handler!)
    const problem = problems.find(p => p.realm === realm.name)
    // A context realm's refusal says what the kind cannot take (a native addon), before what loading it ran into.
    if (realm.kind === 'context' && !bundles(realm, failed)) continue
    if (problem) failed.push(`realm ${realm.name}: handler ${problem.file}: ${problem.message}`)
    else out(`${where}: handler ${relative(process.cwd(), file) || file} loads${realm.runAs === undefined ? '' : ' (linked, not run: runAs)'}`)
  }
  if (failed.length > 0) throw new HandlerLoadError(failed.join('\n  '))
  out(`sessiond check: ${config.realms.length} realm${config.realms.length === 1 ? '' : 's'} ready`)
}
