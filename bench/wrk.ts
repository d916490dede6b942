// The load generator: wrk (C, epoll, one thread) with a Lua script that
// rotates the session cookies across requests. Installed from Debian when
// missing and we are root.
import { execFile, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { trackChild } from './cleanup.ts'

const run = promisify(execFile)
const SCRIPT = fileURLToPath(new URL('./fixtures/rotate-cookies.lua', import.meta.url))

export interface WrkResult {
  requests: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** connect + read + write + timeout errors, and non-2xx/3xx answers. */
  errors: number
  non2xx: number
}

function hasWrk (): boolean {
  // wrk has no --version that exits 0; it prints its usage with -v. Only ENOENT matters.
  const r = spawnSync('wrk', ['-v'], { stdio: 'ignore' })
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
}

/** Makes sure wrk is on PATH: installs Debian's package when root, else says how. */
export function ensureWrk (): void {
  if (hasWrk()) return
  if (process.getuid?.() !== 0) {
    throw new Error('wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu) and run the bench again')
  }
  process.stderr.write('bench: wrk missing, installing it with apt-get\n')
  let r = spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'inherit' })
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit' })
    r = spawnSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'inherit' })
  }
  if (r.status !== 0 || !hasWrk()) throw new Error('could not install wrk with apt-get; install it and run the bench again')
}

export interface WrkOptions {
  url: string
  seconds: number
  connections: number
  /** A file of `name=value` cookies, one per line. */
  cookiesFile: string
}

export async function runWrk ({ url, seconds, connections, cookiesFile }: WrkOptions): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', SCRIPT, url, '--', cookiesFile]
  const p = run('wrk', args, { maxBuffer: 1 << 20 })
  trackChild(p.child)
  const { stdout } = await p
  const line = stdout.split('\n').find(l => l.startsWith('BENCH_JSON '))
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`)
  const j = JSON.parse(line.slice('BENCH_JSON '.length)) as {
    requests: number, duration_us: number, p50_us: number, p99_us: number, max_us: number,
    errors: { connect: number, read: number, write: number, status: number, timeout: number }
  }
  const secs = j.duration_us / 1e6
  return {
    requests: j.requests,
    seconds: secs,
    rps: j.requests / secs,
    p50Ms: j.p50_us / 1000,
    p99Ms: j.p99_us / 1000,
    maxMs: j.max_us / 1000,
    errors: j.errors.connect + j.errors.read + j.errors.write + j.errors.timeout,
    non2xx: j.errors.status
  }
}
