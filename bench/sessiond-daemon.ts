// A real sessiond daemon for the benchmarks: a temporary data directory with
// a pre-written users file, a config with its realms (by default one `hello`
// thread realm), and the CLI started as a child process exactly as a
// deployment starts it.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashPassword } from '@sessiond/gateway'
import { tempDir } from './cleanup.ts'
import { startServerProcess } from './server-process.ts'
import type { ServerProcess } from './server-process.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const HELLO_HANDLER = fileURLToPath(new URL('./fixtures/hello.ts', import.meta.url))
const CLI = join(ROOT, 'packages/gateway/src/cli/main.ts')

export const BENCH_USER = 'bench'
export const BENCH_PASSWORD = 'bench-password'
/** Cheap scrypt so that logging in 50 sessions takes milliseconds, not seconds. */
const BENCH_COST = { ln: 10, r: 8, p: 1 }

/** A daemon that must not use Node's compile cache, whatever the caller's environment says (see compile-cache.ts). */
export const NO_COMPILE_CACHE: Readonly<Record<string, string>> = { NODE_DISABLE_COMPILE_CACHE: '1' }

export interface SessiondDaemon extends ServerProcess {
  dataDir: string
}

/** A realm of the bench daemon, as YAML lines under `realms:`; mounted at `/<name>`. */
export interface BenchRealm {
  name: string
  kind: 'thread' | 'process' | 'exec' | 'context'
  /** every kind but exec: defaults to the hello handler. */
  handler?: string
  command?: string[]
  spares?: number
  /** Any other realm settings, written as `key: <JSON>` (e.g. `{ threads: 1 }`). */
  settings?: Readonly<Record<string, unknown>>
}

export const HELLO_REALM: BenchRealm = { name: 'hello', kind: 'thread' }

function realmYaml (r: BenchRealm): string[] {
  return [
    `  - name: ${r.name}`,
    `    mount: /${r.name}`,
    `    kind: ${r.kind}`,
    ...(r.kind === 'exec' ? [`    command: ${JSON.stringify(r.command)}`] : [`    handler: ${JSON.stringify(r.handler ?? HELLO_HANDLER)}`]),
    ...(r.spares ? [`    spares: ${r.spares}`] : []),
    ...Object.entries(r.settings ?? {}).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    '    auth: required',
    '    idleTimeout: 15m'
  ]
}

export interface SessiondOptions {
  /** The realms to mount; by default the one `hello` thread realm. */
  realms?: BenchRealm[]
  /** Extra Node flags for the daemon (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Extra environment; by default NO_COMPILE_CACHE. */
  env?: Readonly<Record<string, string>>
  /** Top-level settings besides the realms, written as `key: <JSON>` (e.g. `{ limits: { maxConnections: 50000 } }`). */
  config?: Readonly<Record<string, unknown>>
}

export async function startSessiond ({ realms = [HELLO_REALM], nodeArgs = [], env = NO_COMPILE_CACHE, config: extra = {} }: SessiondOptions = {}): Promise<SessiondDaemon> {
  const dir = tempDir('sessiond')
  try {
    const config = join(dir.path, 'sessiond.yaml')
    await writeFile(config, [...Object.entries(extra).map(([k, v]) => `${k}: ${JSON.stringify(v)}`), 'realms:', ...realms.flatMap(realmYaml), ''].join('\n'))
    const data = join(dir.path, 'data')
    await mkdir(data, { mode: 0o700 })
    const hash = await hashPassword(BENCH_PASSWORD, BENCH_COST)
    await writeFile(join(data, 'users.json'), JSON.stringify({ users: { [BENCH_USER]: { password: hash } } }), { mode: 0o600 })
    const server = await startServerProcess('sessiond', [
      ...nodeArgs, CLI, 'start', '--config', config, '--listen', '127.0.0.1:0', '--data', data
    ], { cwd: dir.path, env })
    return {
      ...server,
      dataDir: data,
      async stop () {
        try {
          await server.stop()
        } finally {
          dir.remove()
        }
      }
    }
  } catch (err) {
    dir.remove()
    throw err
  }
}
