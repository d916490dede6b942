import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from '../../../test/helpers/free-port.ts'

/** A real redis-server on a free loopback port, for one test file. */
export interface RedisServer {
  url: string
  port: number
  child: ChildProcess
  stop (): Promise<void>
  /** SIGKILL: commands in flight get no answer, as when a host or the server crashes. */
  kill (): Promise<void>
}

export function hasRedisServer (): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0
}

/**
 * Under CI a missing redis-server is a failure, never a skip: the bootstrap
 * (scripts/toolchain.mjs) installs it. Elsewhere the caller may skip.
 */
export function redisSkipReason (): string | false {
  if (hasRedisServer()) return false
  if (process.env.CI === 'true') throw new Error('redis-server is missing: scripts/toolchain.mjs installs it for tests')
  return 'redis-server is not installed (apt-get install redis-server)'
}

export interface RedisOptions {
  /** An append-only file in this directory, fsynced on every write: a restart on the same directory keeps the data. */
  aofDir?: string
  /** More redis-server arguments, such as ['--maxmemory', '10mb']. */
  args?: string[]
}

/** Starts redis-server on `port`, or on a free one; without persistence unless `aofDir` is given. */
export async function startRedis (port?: number, { aofDir, args = [] }: RedisOptions = {}): Promise<RedisServer> {
  port ??= await freePort()
  const persistence = aofDir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', aofDir] : ['--appendonly', 'no']
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk
      if (out.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`)))
  })
  child.stderr?.resume()
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL')
  }
}
