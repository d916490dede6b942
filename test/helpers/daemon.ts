// Starts the real sessiond CLI as a child process on a free loopback port,
// with its own data directory and users, and stops it after the test.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { hashPassword } from '@sessiond/gateway'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'packages/gateway/src/cli/main.ts')
export const LAB = fileURLToPath(new URL('../fixtures/lab.ts', import.meta.url))

// Cheap hashes: tests log in hundreds of times; the cost is in the hash string.
const TEST_COST = { ln: 10, r: 8, p: 1 }

export interface RealmSpec {
  name: string
  mount: string
  handler?: string
  auth?: 'required' | 'anonymous'
  idleTimeout?: string | number
  [key: string]: unknown
}

export interface DaemonOptions {
  realms?: RealmSpec[]
  users?: Record<string, string>
  /** Users' groups in the users file (`admin` opens the admin API). */
  groups?: Record<string, string[]>
  extra?: Record<string, unknown>
  /** Reuse the data directory of an earlier daemon (its store, keys and users) instead of a fresh one. */
  dataDir?: string
}

export interface RunningDaemon {
  url: string
  child: ChildProcess
  dataDir: string
  /** Everything the daemon wrote to stdout and stderr so far. */
  output: () => string
  login: (user: string, password: string) => Promise<string>
  stop: () => Promise<number | null>
}

export async function startDaemon (t: TestContext, opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-test-'))
  const dataDir = opts.dataDir ?? join(dir, 'data')
  const users: Record<string, { password: string, groups?: string[] }> = {}
  for (const [name, pw] of Object.entries(opts.users ?? { alice: 'alice-password', bob: 'bob-password' })) {
    users[name] = { password: await hashPassword(pw, TEST_COST), ...(opts.groups?.[name] && { groups: opts.groups[name] }) }
  }
  await mkdir(dataDir, { mode: 0o700, recursive: true })
  await writeFile(join(dataDir, 'users.json'), JSON.stringify({ users }), { mode: 0o600 })
  const config = {
    log: { level: 'warn' },
    realms: (opts.realms ?? [{ name: 'lab', mount: '/lab' }]).map(r => ({ handler: LAB, kind: 'thread', ...r })),
    ...opts.extra
  }
  const configFile = join(dir, 'sessiond.json')
  await writeFile(configFile, JSON.stringify(config, null, 2))

  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile, '--listen', '127.0.0.1:0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stderr!.on('data', (d) => { out += d })
  const lines = createInterface({ input: child.stdout! })
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      out += line + '\n'
      const m = /^sessiond listening on (https?:\/\/\S+)$/.exec(line)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code} before listening:\n${out}`)))
  })

  let exitCode: Promise<number | null> | null = null
  const stop = () => {
    exitCode ??= (async () => {
      // Already gone (exited, or killed by a signal: then exitCode stays null).
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const [code] = await once(child, 'exit') as [number | null]
      return code
    })()
    return exitCode
  }
  t.after(async () => {
    await stop()
    await rm(dir, { recursive: true, force: true })
  })

  return {
    url,
    child,
    dataDir,
    output: () => out,
    stop,
    login: (user, password) => login(url, user, password)
  }
}

/** POST /login with JSON, as an API client logs in; answers the response, whatever its status. */
export function postLogin (url: string, username: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password })
  })
}

/** Logs in with JSON and answers the `Cookie` header value to send back. */
export async function login (url: string, user: string, password: string): Promise<string> {
  const res = await postLogin(url, user, password)
  if (res.status !== 200) throw new Error(`login as ${user} failed: ${res.status} ${await res.text()}`)
  return cookieOf(res)
}

/** The `sessiond=…` cookie a response sets, as the `Cookie` header value to send back; undefined when it sets none. */
export function cookieSetBy (res: { headers: Headers }): string | undefined {
  return res.headers.getSetCookie().find(c => c.startsWith('sessiond='))?.split(';', 1)[0]
}

/** As cookieSetBy, for a response that must set one. */
export function cookieOf (res: { headers: Headers }): string {
  const cookie = cookieSetBy(res)
  if (!cookie) throw new Error('no session cookie set')
  return cookie
}

export async function getJson (url: string, cookie?: string, init: RequestInit = {}): Promise<{ status: number, body: any, headers: Headers }> {
  const res = await fetch(url, { ...init, headers: { ...(cookie && { cookie }), ...init.headers as Record<string, string> }, redirect: 'manual' })
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* not JSON: keep the text */ }
  return { status: res.status, body, headers: res.headers }
}
