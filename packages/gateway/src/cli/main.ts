#!/usr/bin/env node
import { enableCompileCache } from 'node:module'
import { ADMIN_HELP, CERT_HELP, CHECK_HELP, INIT_HELP, KEYS_HELP, RELOAD_HELP, SESSIONS_HELP, START_HELP, STATUS_HELP, STOP_HELP, USER_HELP, WORKERS_HELP } from './commands.ts'
import { CLUSTER_CERT_HELP, DRAIN_HELP, GATEWAY_HELP, MIGRATE_HELP, SUPERVISOR_HELP } from './cluster-commands.ts'

interface Command {
  /** The command's code, loaded only when it runs. */
  run: () => Promise<(argv: string[]) => Promise<void>>
  /** The command's --help: its usage line first. */
  help: string
}

const commands: Record<string, Command> = {
  start: { run: async () => (await import('./start.ts')).start, help: START_HELP },
  check: { run: async () => (await import('./check.ts')).check, help: CHECK_HELP },
  init: { run: async () => (await import('./init.ts')).init, help: INIT_HELP },
  user: { run: async () => (await import('./user.ts')).user, help: USER_HELP },
  cert: { run: async () => (await import('./cert.ts')).cert, help: `${CERT_HELP}\n\n${CLUSTER_CERT_HELP}` },
  keys: { run: async () => (await import('./keys.ts')).keys, help: KEYS_HELP },
  status: { run: async () => (await import('./status.ts')).status, help: STATUS_HELP },
  stop: { run: async () => (await import('./control.ts')).stop, help: STOP_HELP },
  reload: { run: async () => (await import('./control.ts')).reload, help: RELOAD_HELP },
  workers: { run: async () => (await import('./control.ts')).workers, help: WORKERS_HELP },
  sessions: { run: async () => (await import('./control.ts')).sessions, help: SESSIONS_HELP },
  admin: { run: async () => (await import('./admin.ts')).admin, help: ADMIN_HELP },
  // Several hosts: docs/deploy/cluster.md.
  supervisor: { run: async () => (await import('./supervisor.ts')).supervisor, help: SUPERVISOR_HELP },
  gateway: { run: async () => (await import('./gateway.ts')).gateway, help: GATEWAY_HELP },
  drain: { run: async () => (await import('./drain.ts')).drain, help: DRAIN_HELP },
  migrate: { run: async () => (await import('./migrate.ts')).migrate, help: MIGRATE_HELP }
}

const USAGE = `usage: sessiond COMMAND [OPTIONS]   (sessiond COMMAND --help for each)
${Object.values(commands).map(c => '  ' + c.help.split('\n')[0]).join('\n')}

Paths on the command line are relative to the current directory; paths in a
config file are relative to that file.`

// Every worker thread compiles (and strips the types of) the same modules;
// Node's on-disk compile cache lets each new worker skip that work (measured:
// bench/cold-start.ts, bench/worker-rss.ts). Workers inherit the directory
// through the environment.
const cache = enableCompileCache()
if (cache.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory

const [first, ...rest] = process.argv.slice(2)
const wantsHelp = (args: string[]) => {
  const end = args.indexOf('--')
  return (end === -1 ? args : args.slice(0, end)).some(a => a === '--help' || a === '-h')
}
if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
  const about = first === 'help' && rest[0] !== undefined ? commands[rest[0]] : undefined
  process.stdout.write((about ? about.help : USAGE) + '\n')
  process.exit(first === undefined ? 2 : 0)
}
const command = commands[first]
if (!command) {
  process.stderr.write(`unknown command ${first}\n${USAGE}\n`)
  process.exit(2)
}
if (wantsHelp(rest)) {
  process.stdout.write(command.help + '\n')
  process.exit(0)
}
try {
  await (await command.run())(rest)
} catch (err) {
  const e = err as { code?: string, message?: string }
  process.stderr.write(`sessiond ${first}: ${e.message ?? String(err)}\n`)
  // 78 (EX_CONFIG): the config, or a handler it names, is wrong: retrying will not help.
  process.exit(e.code === 'GW_ERR_CONFIG' || e.code === 'GW_ERR_HANDLER_LOAD' || e.code === 'GW_ERR_PAM' ? 78 : 1)
}
