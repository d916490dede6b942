// The sessiond CLI run to its end as a child process (user, keys, cert, a
// start that must fail): its exit code and what it printed.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { CLI } from './daemon.ts'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr, interleaved as they came. */
  output: string
}

export interface CliOptions {
  /** Written to stdin, which is then closed; without it stdin is ignored. */
  stdin?: string
  /** Added to this process's environment. */
  env?: Record<string, string>
  /** Kills the CLI after this long: a run that wrongly goes on must fail its test, not hang it. */
  killAfterMs?: number
}

export async function runCli (args: string[], { stdin, env, killAfterMs }: CliOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(env && { env: { ...process.env, ...env } })
  })
  let stdout = ''
  let stderr = ''
  let output = ''
  child.stdout!.on('data', (d) => { stdout += d; output += d })
  child.stderr!.on('data', (d) => { stderr += d; output += d })
  if (stdin !== undefined) child.stdin!.end(stdin)
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  // 'close', not 'exit': only then has all of the output been read.
  const [code] = await once(child, 'close') as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr, output }
}
