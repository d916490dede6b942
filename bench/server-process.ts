// A server under test, run as a child process of the pinned Node: started,
// waited for until it prints its URL, its output drained (a full stdout pipe
// would stall it), and stopped with SIGTERM, then SIGKILL if it lingers.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { trackChild } from './cleanup.ts'

export interface ServerProcess {
  url: string
  pid: number
  child: ChildProcess
  /** The last lines it printed, for error messages. */
  tail (): string
  stop (): Promise<void>
}

const READY = /listening on (https?:\/\/\S+)/
const KEEP_LINES = 40

export interface ServerProcessOptions {
  cwd: string
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>
  timeoutMs?: number
}

export async function startServerProcess (name: string, args: string[], { cwd, env = {}, timeoutMs = 30_000 }: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  trackChild(child)
  const lines: string[] = []
  const keep = (line: string) => {
    lines.push(line)
    if (lines.length > KEEP_LINES) lines.shift()
  }
  const tail = () => lines.join('\n')
  const { promise: ready, resolve, reject } = Promise.withResolvers<string>()
  createInterface({ input: child.stdout! }).on('line', line => {
    keep(line)
    const m = READY.exec(line)
    if (m) resolve(m[1])
  })
  createInterface({ input: child.stderr! }).on('line', keep)
  child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${tail()}`)))
  child.once('error', reject)
  const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${timeoutMs} ms:\n${tail()}`)), timeoutMs)

  async function stop (): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const outcome = await Promise.race([exited.then(() => 'exited'), sleep(15_000, 'timeout')])
    if (outcome === 'timeout') {
      child.kill('SIGKILL')
      await exited
    }
  }

  try {
    const url = await ready
    return { url, pid: child.pid!, child, tail, stop }
  } catch (err) {
    await stop()
    throw err
  } finally {
    clearTimeout(timer)
  }
}
