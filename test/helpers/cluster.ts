// A cluster of real processes for a test: one Redis (Debian's) on the
// test's bridge, supervisor hosts and gateways each in a network namespace
// of its own (netns.ts), every one the real CLI (`sessiond supervisor`,
// `sessiond gateway`) on one shared config file, as docs/deploy/cluster.md
// deploys them. Everything is stopped and removed after the test.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { hashPassword } from '@sessiond/gateway'
import pino from 'pino'
import { RedisStore } from '@sessiond/session-store'
import { CallSigner, ClusterDispatcher } from '@sessiond/supervisor'
import type { ClusterDirectory } from '@sessiond/session-store'
import { startRedis } from '../../packages/session-store/test/redis-server.ts'
import type { RedisServer } from '../../packages/session-store/test/redis-server.ts'
import { CLI } from './daemon.ts'
import { runCli } from './run-cli.ts'
import { TestNetwork } from './netns.ts'
import type { Cleanup } from './netns.ts'

export const CLUSTER_HANDLER = fileURLToPath(new URL('../fixtures/cluster-counter.ts', import.meta.url))
const TEST_COST = { ln: 10, r: 8, p: 1 }
const SUPERVISOR_PORT = 7100
const GATEWAY_PORT = 8080

export interface ClusterOptions {
  supervisors?: string[]
  gateways?: string[]
  auth?: 'hmac' | 'mtls'
  /** The realms, in the config file's own form (handler: the cluster counter by default). */
  realms?: Array<Record<string, unknown>>
  lease?: string
  hold?: string
  users?: Record<string, string>
  /** More settings for the config file (trustProxy, …). */
  extra?: Record<string, unknown>
}

export interface ClusterProcess {
  name: string
  ip: string
  /** The gateway's URL, or the supervisor's advertised one. */
  url: string
  child: ChildProcess
  output: () => string
  /** SIGTERM, and its exit. */
  stop: () => Promise<void>
  /** SIGKILL, and its exit: nothing of it runs any more. */
  kill: () => Promise<void>
}

export interface TestCluster {
  net: TestNetwork
  redis: RedisServer
  dir: string
  configFile: string
  /** The test's own connections to the cluster's Redis: its store and directory. */
  store: RedisStore
  directory: ClusterDirectory
  supervisors: Map<string, ClusterProcess>
  gateways: Map<string, ClusterProcess>
  startSupervisor: (name: string) => Promise<ClusterProcess>
  startGateway: (name: string) => Promise<ClusterProcess>
  /** The real CLI in the test's namespace, with the cluster's config (drain, migrate). */
  cli: (args: string[]) => Promise<{ code: number | null, output: string }>
  /** The warnings and errors every process logged, for a failed test's message. */
  problems: () => string
  /** A gateway's dispatcher in the test's own process (as gateway g1 authenticates): sessions(), placement(), … */
  client: () => Promise<ClusterDispatcher>
}

export async function startCluster (t: Cleanup, opts: ClusterOptions = {}): Promise<TestCluster> {
  const supervisorNames = opts.supervisors ?? ['s1', 's2', 's3']
  const gatewayNames = opts.gateways ?? ['g1', 'g2']
  // Removed last, by this function's own cleanup: hosts stopping without their network would wait on its timeouts.
  const net = await TestNetwork.create({ after: () => {} }, [...supervisorNames, ...gatewayNames])
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cluster-'))
  const procs: ClusterProcess[] = []
  const clients: ClusterDispatcher[] = []
  let redis: RedisServer | undefined
  let store: RedisStore | undefined
  let directory: ClusterDirectory | undefined
  t.after(async () => {
    // Gateways first, so that nothing dispatches to supervisors that are stopping; SIGKILL for a stop that hangs.
    for (const p of procs.filter(p => gatewayNames.includes(p.name)).concat(procs.filter(p => !gatewayNames.includes(p.name)))) {
      const t0 = Date.now()
      await Promise.race([p.stop(), new Promise(resolve => setTimeout(resolve, 15_000))])
      if (process.env.SD_TIMING) console.log('stop', p.name, t0, Date.now() - t0, p.child.exitCode, p.child.signalCode, p.output().split('\n').slice(-6).join('\n'))
      await p.kill()
    }
    for (const c of clients) await c.close()
    await directory?.close()
    await store?.close()
    await redis?.stop()
    await net.remove()
    await rm(dir, { recursive: true, force: true })
  })
  redis = await startRedis(undefined, { bind: net.ip })
  store = await RedisStore.connect({ url: redis.url })
  directory = await store.directory()

  const auth = opts.auth === 'mtls' ? await mtlsFiles(dir, supervisorNames, gatewayNames) : await hmacFile(dir)
  const users: Record<string, { password: string }> = {}
  for (const [name, pw] of Object.entries(opts.users ?? { alice: 'alice-password' })) users[name] = { password: await hashPassword(pw, TEST_COST) }
  await writeFile(join(dir, 'users.json'), JSON.stringify({ users }), { mode: 0o600 })
  // Gateways share the cookie key (docs/deploy/cluster.md: copy it to each): any of them opens any cookie.
  const cookieKey = randomBytes(32)
  const configFile = join(dir, 'sessiond.json')
  const config = {
    log: { level: 'info' },
    users: { file: join(dir, 'users.json') },
    cluster: { redis: redis.url, auth: auth.forSupervisor, lease: opts.lease ?? '1500ms', hold: opts.hold ?? '15s' },
    realms: (opts.realms ?? [{ name: 'count', mount: '/count', auth: 'anonymous' }]).map(r => ({ handler: CLUSTER_HANDLER, kind: 'thread', ...r })),
    ...opts.extra
  }
  await writeFile(configFile, JSON.stringify(config, null, 2))
  // mtls: a gateway's file names its own certificate.
  const gatewayConfig = async (name: string) => {
    if (!auth.forGateway) return configFile
    const file = join(dir, `sessiond-${name}.json`)
    await writeFile(file, JSON.stringify({ ...config, cluster: { ...config.cluster, auth: auth.forGateway(name) } }, null, 2))
    return file
  }
  const supervisorConfig = async (name: string) => {
    if (!auth.forHost) return configFile
    const file = join(dir, `sessiond-${name}.json`)
    await writeFile(file, JSON.stringify({ ...config, cluster: { ...config.cluster, auth: auth.forHost(name) } }, null, 2))
    return file
  }

  const cluster: TestCluster = {
    net,
    redis,
    dir,
    configFile,
    store,
    directory,
    supervisors: new Map(),
    gateways: new Map(),
    async startSupervisor (name) {
      const h = net.host(name)
      const data = join(dir, name)
      await mkdir(data, { recursive: true, mode: 0o700 })
      const p = await spawnRole(net, name, h.ip, [CLI, 'supervisor', '--config', await supervisorConfig(name), '--host', name, '--cluster-listen', `${h.ip}:${SUPERVISOR_PORT}`, '--data', data], /^sessiond supervisor \S+ serving gateways at (\S+)$/)
      procs.push(p)
      cluster.supervisors.set(name, p)
      return p
    },
    async startGateway (name) {
      const h = net.host(name)
      const data = join(dir, name)
      await mkdir(data, { recursive: true, mode: 0o700 })
      await writeFile(join(data, 'cookie.key'), cookieKey, { mode: 0o600 })
      const p = await spawnRole(net, name, h.ip, [CLI, 'gateway', '--config', await gatewayConfig(name), '--listen', `${h.ip}:${GATEWAY_PORT}`, '--data', data], /^sessiond gateway listening on (\S+)$/)
      procs.push(p)
      cluster.gateways.set(name, p)
      return p
    },
    problems () {
      return procs.map(p => `--- ${p.name}\n` + p.output().split('\n').filter(l => /"level":(40|50|60)/.test(l)).slice(-15).map(l => l.slice(0, 600)).join('\n')).join('\n')
    },
    async cli (args) {
      return runCli([...args, '--config', await gatewayConfig(gatewayNames[0])])
    },
    async client () {
      const a = auth.forGateway?.(gatewayNames[0]) ?? auth.forSupervisor
      const signer = new CallSigner(a.mode === 'hmac'
        ? { mode: 'hmac', secret: Buffer.from((await readFile(a.secret, 'utf8')).split('\n', 1)[0]) }
        : { mode: 'mtls', ca: await readFile(a.ca), cert: await readFile(a.cert), key: await readFile(a.key) })
      const dispatcher = new ClusterDispatcher({ directory: directory!, signer, logger: pino({ level: 'silent' }), holdMs: 15_000, leaseMs: 1500, requestTimeoutMs: 60_000, realms: [] })
      await dispatcher.start()
      clients.push(dispatcher)
      return dispatcher
    }
  }
  // A gateway needs no supervisor to start: it reads the members as they join.
  await Promise.all([...supervisorNames.map(n => cluster.startSupervisor(n)), ...gatewayNames.map(n => cluster.startGateway(n))])
  return cluster
}

async function spawnRole (net: TestNetwork, name: string, ip: string, args: string[], ready: RegExp): Promise<ClusterProcess> {
  const [cmd, ...rest] = net.exec(name, [process.execPath, ...args])
  // The thread workers of the test's handler tell which host they run on.
  const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SD_TEST_HOST: name } })
  let out = ''
  child.stderr!.on('data', (d) => { out += d })
  const lines = createInterface({ input: child.stdout! })
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      out += line + '\n'
      const m = ready.exec(line)
      if (m) resolve(m[1])
    })
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${out}`)))
  })
  const exited = once(child, 'exit')
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    await exited
  }
  return { name, ip, url, child, output: () => out, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') }
}

interface AuthFiles {
  forSupervisor: Record<string, string>
  forHost?: (name: string) => Record<string, string>
  forGateway?: (name: string) => Record<string, string>
}

async function hmacFile (dir: string): Promise<AuthFiles> {
  const secret = join(dir, 'cluster.secret')
  await writeFile(secret, randomBytes(48).toString('base64') + '\n', { mode: 0o600 })
  return { forSupervisor: { mode: 'hmac', secret } }
}

/** A CA and a certificate per host, made by the real `sessiond cert`. */
async function mtlsFiles (dir: string, supervisors: string[], gateways: string[]): Promise<AuthFiles> {
  const ca = join(dir, 'ca')
  const certs = join(dir, 'certs')
  const made = await runCli(['cert', '--ca', '--out', ca, '--name', 'sessiond-cluster'])
  if (made.code !== 0) throw new Error(made.output)
  for (const [role, names] of [['supervisor', supervisors], ['gateway', gateways]] as const) {
    for (const name of names) {
      const host = await runCli(['cert', '--signed-by', ca, '--role', role, '--host', name, '--out', certs])
      if (host.code !== 0) throw new Error(host.output)
    }
  }
  const files = (name: string) => ({ mode: 'mtls', ca: join(ca, 'ca.pem'), cert: join(certs, `${name}.pem`), key: join(certs, `${name}.key`) })
  return { forSupervisor: files(supervisors[0]), forHost: files, forGateway: files }
}
