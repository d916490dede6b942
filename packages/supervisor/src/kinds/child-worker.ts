// A child process that serves HTTP: the worker of kinds process and exec.
//
//   ChildWorker ── spawn(argv, env, own process group) ──▶ child listens on
//        │                                                   <private dir>/w.sock or 127.0.0.1:PORT
//        ├─ undici Pool (this worker's only) ── HTTP/1.1 keep-alive ──▶ child
//        ├─ one connection per WebSocket, upgraded: process → a socket channel
//        │   (stream-port.ts), exec → the child's own WebSocket as bytes (exec-tunnel.ts)
//        └─ IPC (process kind only): booted → claim → ready; stop → hibernated
//
// exec: spawned with its session and ready when the endpoint accepts a
// connection. process: booted without a session (a spare can wait there),
// then claimed over IPC, and ready when it says so. Stopping asks over IPC
// (or SIGTERM for exec) and kills the whole process group after stopTimeout,
// so helpers the child started go too.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'
import { SDK_ERROR_HEADER, SOCKET_HEADER, SOCKET_UPGRADE, STOP_CLOSE_CODES, decodeError, socketOverStream } from '@sessiond/worker-sdk/transport'
import type { EncodedError, FromProcess, ProcessClaim, StopReason, ToProcess } from '@sessiond/worker-sdk/transport'
import { serialize } from 'node:v8'
import { logChildOutput } from '../child-output.ts'
import type { OutputTail } from '../child-output.ts'
import type { WorkerRealm } from '../config.ts'
import { within } from '../within.ts'
import { CheckpointFailedError, ClientAbortedError, WorkerExitedError, WorkerMemoryError, WorkerStartError, WorkerStartTimeoutError, WorkerTimeoutError } from '../errors.ts'
import { removePrivateDir } from '../worker-endpoint.ts'
import { sandboxedArgv } from './child-sandbox.ts'
import type { Sandbox } from './child-sandbox.ts'
import type { ChildRegistry } from '../child-registry.ts'
import type { KernelMemoryLimits, MemoryCgroup } from '../kernel-memory-limit.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { UpgradeResult, WorkerRequest, WorkerResponse } from '../dispatcher.ts'
import { upgradeChild } from '../upgrade-request.ts'
import { ExecTunnel } from './exec-tunnel.ts'
import { processUsage } from '../proc-usage.ts'
import type { Hibernated, Worker, WorkerDescription, WorkerUpgrade, WorkerUsage } from './worker-kind.ts'

/** An open socket of a child worker, whichever its kind makes. */
interface ChildSocket {
  readonly lastActivity: number
  /** The worker is stopping: messages for it wait for the next one (SocketChannel.hold). */
  hold (): void
  /** The worker stops for good: the client is told with `code`. */
  end (code: number, reason: string): void
}

/** The upgrade's headers as the child must get them: the connection's own first, then the client's handshake. */
function upgradeHeaders (headers: string[], protocol: string, marker: string | null): string[] {
  const out: string[] = ['connection', 'Upgrade', 'upgrade', protocol]
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i].toLowerCase()
    if (name !== 'connection' && name !== 'upgrade' && name !== SOCKET_HEADER) out.push(headers[i], headers[i + 1])
  }
  if (marker !== null) out.push(SOCKET_HEADER, marker)
  return out
}

/**
 * What the child must still see of /tmp once its own covers it: Node, its
 * argv's files (the runtime, an exec command and its script) and the
 * handler, when they lie under /tmp (a checkout there); never its private
 * directory, which is its /tmp.
 */
function codeUnderTmp ({ argv, env, cwd }: ChildSpawn): string[] {
  return [process.execPath, ...argv, env.SESSIOND_HANDLER ?? '']
    .filter(p => p.startsWith('/tmp/') && !p.startsWith(cwd + '/') && existsSync(p))
}

/** How to start the child. */
export interface ChildSpawn {
  argv: string[]
  env: Record<string, string>
  cwd: string
  /** process kind: the runtime speaks the lifecycle over Node's IPC channel. */
  ipc: boolean
  /** What the kernel enforces from its first instruction on (child-sandbox.ts). */
  sandbox: Sandbox
  /** Gives back what the worker held (a transient uid, its directory) once it is gone. */
  release?: () => Promise<void>
}

/** What makes a started child one session's worker. */
export interface ChildClaim {
  endpoint: WorkerEndpoint
  /** Headers added to every request (never taken from the client). */
  headers: string[]
  /** Bound to the realm and the session. */
  logger: Logger
  onExit: (err: Error) => void
  /** process kind: the claim message sent over IPC. */
  message?: ProcessClaim
  /** The worker speaks the SDK: an answer marked with SDK_ERROR_HEADER is a coded error to rebuild. */
  sdkErrors?: boolean
  /** Gives back what the session's worker held once it is gone. */
  release?: () => Promise<void>
}

export interface ChildBoot {
  realm: WorkerRealm
  spawn: ChildSpawn
  /** Records the child's process group until it is gone, for the supervisor that starts after a crash. */
  registry: ChildRegistry | null
  /** Where the kernel can hold the child to its realm's maxRssMb. */
  memory?: KernelMemoryLimits
  logger: Logger
  /** Called once if the child ends without being asked to stop; `claim` replaces it. */
  onExit: (err: Error) => void
}

/** Responses up to this length are read whole rather than streamed. */
const WHOLE_BODY_BYTES = 64 * 1024

/** The path and query of an absolute URL, without parsing all of it. */
function pathOf (url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  return slash === -1 ? '/' : url.slice(slash)
}

function toHeaderList (h: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = []
  for (const name in h) {
    const v = h[name]
    if (v === undefined) continue
    if (Array.isArray(v)) for (const one of v) out.push(name, one)
    else out.push(name, v)
  }
  return out
}

/** The request's headers with ours in place of any the caller sent under the same names. */
function withOwnHeaders (headers: string[], own: string[]): string[] {
  const names = new Set<string>()
  for (let i = 0; i < own.length; i += 2) names.add(own[i])
  const out: string[] = []
  for (let i = 0; i < headers.length; i += 2) if (!names.has(headers[i].toLowerCase())) out.push(headers[i], headers[i + 1])
  return out.concat(own)
}

export class ChildWorker implements Worker {
  #child: ChildProcess
  #pool: Pool | null = null
  #realm: WorkerRealm
  #endpoint: WorkerEndpoint | null = null
  #headers: string[] = []
  #log: Logger
  #onExit: (err: Error) => void
  #inFlight = 0
  #lastActivity = Date.now()
  #stopping: Promise<Hibernated | undefined> | null = null
  #exited: Promise<unknown>
  /** Settles once the IPC channel closed too: a last `hibernated` message has been read by then. */
  #channelClosed: Promise<unknown>
  #gone = false
  /** Why the supervisor killed it, when it did: reported instead of a plain exit. */
  #killedFor: Error | null = null
  #messages = new Map<FromProcess['t'], PromiseWithResolvers<FromProcess>>()
  #releases: Array<() => Promise<void>>
  #sockets = new Set<ChildSocket>()
  #sdkErrors = false
  /** The account it runs as: the sandbox's (exec), the claim's runAs (process), else the daemon's. */
  #uid: number | undefined
  #gid: number | undefined
  #stderr: OutputTail
  /** Settles once the child's output streams have ended too: its last words are read by then. */
  #closed: Promise<unknown>
  #cgroup: MemoryCgroup | null = null

  /** exec: spawned for its session; ready once its endpoint accepts a connection. */
  static async start (boot: ChildBoot, claim: ChildClaim): Promise<ChildWorker> {
    const w = new ChildWorker(boot)
    w.#attach(claim)
    try {
      await w.#waitUntilListening()
    } catch (err) {
      await w.#kill()
      throw err
    }
    return w
  }

  /** process: the runtime up and waiting for its session (a spare, or about to be claimed). */
  static async boot (boot: ChildBoot): Promise<ChildWorker> {
    const w = new ChildWorker(boot)
    try {
      await w.#expect('booted')
    } catch (err) {
      const reason = w.#gone ? await w.#startFailed() : err
      await w.#kill()
      throw reason
    }
    return w
  }

  /** process: hands the booted runtime its session; resolves once it listens. */
  async claim (claim: ChildClaim): Promise<void> {
    this.#attach(claim)
    const runAs = claim.message?.runAs
    if (runAs) {
      this.#uid = runAs.uid
      this.#gid = runAs.gid
    }
    this.#send(claim.message!)
    try {
      await this.#expect('ready')
    } catch (err) {
      const reason = this.#gone ? await this.#startFailed() : err
      await this.#kill()
      throw reason
    }
    this.#lastActivity = Date.now()
  }

  private constructor ({ realm, spawn: how, registry, memory, logger, onExit }: ChildBoot) {
    this.#realm = realm
    this.#log = logger
    this.#onExit = onExit
    this.#releases = how.release ? [how.release] : []
    this.#uid = how.sandbox.account?.uid ?? process.getuid?.()
    this.#gid = how.sandbox.account?.gid ?? process.getgid?.()
    const [cmd, ...args] = sandboxedArgv(how.argv, how.sandbox.privateTmp ? { ...how.sandbox, keep: codeUnderTmp(how) } : how.sandbox)
    this.#child = spawn(cmd, args, {
      env: how.env,
      cwd: how.cwd,
      // Its own process group: stop and kill reach everything it started.
      detached: true,
      stdio: how.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      // Hibernated state is whatever a handler returned: structured clone, as for threads.
      serialization: 'advanced'
    })
    const pid = this.#child.pid
    if (registry && pid !== undefined) {
      void registry.add(pid)
      this.#releases.push(async () => registry.remove(pid))
    }
    // The kernel enforces maxRssMb where it can: the worker stops at its limit, not at the next sample.
    if (memory && realm.maxRssMb !== undefined && pid !== undefined) {
      const attached = memory.attach(pid, realm.maxRssMb).then(cg => { this.#cgroup = cg })
      this.#releases.push(async () => { await attached; await this.#cgroup?.remove() })
    }
    this.#child.on('error', (err) => this.#log.error({ err }, 'worker process error'))
    this.#child.on('message', (m: FromProcess) => this.#messages.get(m?.t)?.resolve(m))
    // A process runtime logs pino JSON; an exec command's output is whatever it prints.
    logChildOutput(this.#child.stdout!, () => this.#log, 'stdout', how.ipc)
    this.#stderr = logChildOutput(this.#child.stderr!, () => this.#log, 'stderr', how.ipc)
    this.#closed = once(this.#child, 'close').catch(() => undefined)
    this.#exited = once(this.#child, 'exit')
    this.#channelClosed = how.ipc ? once(this.#child, 'disconnect').catch(() => undefined) : Promise.resolve()
    this.#child.once('exit', (code, signal) => {
      this.#gone = true
      const gone = new WorkerStartError(realm.name, { cause: new Error(`exited with ${code ?? signal}`) })
      for (const waiter of this.#messages.values()) waiter.reject(gone)
      if (this.#stopping) return
      if (!this.#killedFor && signal === 'SIGKILL' && this.kernelOomKilled()) this.#killedFor = this.#memoryError()
      const err = this.#killedFor ?? new WorkerExitedError(realm.name)
      if (!this.#killedFor) this.#log.error({ code, signal }, 'worker process exited')
      // Whatever it started goes with it: a worker given up on never leaves helpers behind.
      this.#signal('SIGKILL')
      this.#stopping = this.#cleanup().then(() => undefined)
      this.#pool?.destroy(err).catch(() => { /* already destroyed */ })
      this.#onExit(err)
    })
  }

  /** Whether the kernel's OOM killer acted in the worker's memory cgroup (false where it has none). */
  kernelOomKilled (): boolean {
    return this.#cgroup?.oomKilled() ?? false
  }

  #memoryError (): Error {
    const limit = this.#realm.maxRssMb ?? 0
    this.#log.error({ limitMb: limit }, 'worker exceeded its memory limit; the kernel stopped it')
    return new WorkerMemoryError(this.#realm.name, limit)
  }

  get inFlight (): number { return this.#inFlight }
  get sockets (): number { return this.#sockets.size }
  get lastActivity (): number {
    let last = this.#lastActivity
    for (const s of this.#sockets) if (s.lastActivity > last) last = s.lastActivity
    return last
  }
  get pid (): number | undefined { return this.#gone ? undefined : this.#child.pid }

  describe (): WorkerDescription {
    return { kind: this.#realm.kind, ...(this.pid !== undefined && { pid: this.pid }), uid: this.#uid, gid: this.#gid }
  }

  usage (): Promise<WorkerUsage> {
    const pid = this.pid
    return pid === undefined ? Promise.resolve({ rssBytes: null, heapUsedBytes: null, cpuSeconds: null, openSockets: null }) : processUsage(pid)
  }

  #attach ({ endpoint, headers, logger, onExit, release, sdkErrors = false }: ChildClaim): void {
    this.#sdkErrors = sdkErrors
    if (release) this.#releases.push(release)
    this.#endpoint = endpoint
    this.#headers = headers
    this.#log = logger
    this.#onExit = onExit
    const connections = this.#realm.concurrency
    this.#pool = endpoint.kind === 'unix'
      ? new Pool('http://localhost', { socketPath: endpoint.socketPath, pipelining: 1, connections })
      : new Pool(`http://127.0.0.1:${endpoint.port}`, { pipelining: 1, connections })
  }

  #send (m: ToProcess): void {
    if (this.#child.connected) this.#child.send(m, (err) => { if (err) this.#log.debug({ err }, 'worker control message not delivered') })
  }

  /** The next message of a type, within the realm's start timeout. */
  #expect (t: 'booted' | 'ready'): Promise<FromProcess> {
    const waiter = Promise.withResolvers<FromProcess>()
    waiter.promise.catch(() => { /* the caller's race reports it */ })
    this.#messages.set(t, waiter)
    if (this.#gone) waiter.reject(new WorkerStartError(this.#realm.name, { cause: new Error('exited before it was ready') }))
    const { name, startTimeout } = this.#realm
    return within(waiter.promise, startTimeout, () => new WorkerStartTimeoutError(name, startTimeout))
      .finally(() => this.#messages.delete(t))
  }

  async #waitUntilListening (): Promise<void> {
    const deadline = Date.now() + this.#realm.startTimeout
    const ep = this.#endpoint!
    for (;;) {
      if (this.#gone) throw await this.#startFailed()
      const ok = await new Promise<boolean>((resolve) => {
        const sock = ep.kind === 'unix' ? connect(ep.socketPath) : connect(ep.port, '127.0.0.1')
        sock.once('connect', () => { sock.destroy(); resolve(true) })
        sock.once('error', () => resolve(false))
      })
      if (ok) return
      if (Date.now() > deadline) {
        const where = ep.kind === 'unix' ? `its socket ${ep.socketPath}` : `127.0.0.1:${ep.port} ($PORT)`
        throw new WorkerStartTimeoutError(this.#realm.name, this.#realm.startTimeout, { cause: new Error(`it never accepted a connection on ${where}`) })
      }
      await sleep(5)
    }
  }

  /** Why the child ended before it was ready: its exit status and the last lines it wrote on stderr (spawn progress shows them). */
  async #startFailed (): Promise<Error> {
    await Promise.race([this.#closed, sleep(200, null, { ref: false })])
    const said = this.#stderr.lines()
    const status = `exited with ${this.#child.exitCode ?? this.#child.signalCode}`
    return new WorkerStartError(this.#realm.name, { cause: new Error(said.length > 0 ? `${status}; it said: ${said.join(' / ')}` : status) })
  }

  async request (req: WorkerRequest): Promise<WorkerResponse> {
    if (this.#stopping || !this.#pool) throw new WorkerExitedError(this.#realm.name)
    this.#inFlight++
    this.#lastActivity = Date.now()
    let res: Dispatcher.ResponseData
    try {
      res = await this.#pool.request({
        path: pathOf(req.url),
        method: req.method as Dispatcher.HttpMethod,
        headers: this.#headers.length > 0 ? withOwnHeaders(req.headers, this.#headers) : req.headers,
        body: req.body,
        headersTimeout: this.#realm.requestTimeout,
        bodyTimeout: 0
      })
    } catch (err) {
      this.#done()
      throw this.#mapError(err, req)
    }
    // A process worker's coded error (its handler threw): rebuilt, as from a thread's port.
    if (this.#sdkErrors && res.statusCode >= 400 && typeof res.headers[SDK_ERROR_HEADER] === 'string') {
      try {
        throw decodeError(await res.body.json() as EncodedError)
      } finally {
        this.#done()
      }
    }
    const headers = toHeaderList(res.headers)
    const length = res.headers['content-length']
    // A small body of known length is read whole: the gateway then answers in
    // one write instead of piping a stream, as for a thread's small response.
    if (typeof length === 'string' && Number(length) <= WHOLE_BODY_BYTES) {
      try {
        return { status: res.statusCode, headers, body: new Uint8Array(await res.body.arrayBuffer()) }
      } catch (err) {
        throw this.#mapError(err)
      } finally {
        this.#done()
      }
    }
    const body = res.body as unknown as Readable
    body.once('close', () => this.#done())
    return { status: res.statusCode, headers, body }
  }

  /**
   * process: a connection of its own to the runtime, upgraded to a socket
   * channel (the handler may take it or answer it). exec: the client's
   * handshake, passed to the child as it is; its 101 goes back to the
   * client and the connection becomes a tunnel of bytes.
   */
  async upgrade (req: WorkerUpgrade): Promise<UpgradeResult> {
    if (this.#stopping || !this.#endpoint) throw new WorkerExitedError(this.#realm.name)
    const exec = this.#realm.kind === 'exec'
    const marker = exec ? null : req.resumed ? `resumed ${serialize(req.resumed.attachment).toString('base64')}` : 'new'
    const own = this.#headers.length > 0 ? withOwnHeaders(req.headers, this.#headers) : req.headers
    this.#inFlight++
    this.#lastActivity = Date.now()
    try {
      const got = await upgradeChild(this.#endpoint, pathOf(req.url), upgradeHeaders(own, exec ? 'websocket' : SOCKET_UPGRADE, marker), this.#realm.requestTimeout)
      if (got.type === 'refused') return got
      if (this.#stopping) {
        got.socket.destroy()
        throw new WorkerExitedError(this.#realm.name)
      }
      if (exec) {
        const tunnel = new ExecTunnel(got.socket, got.head)
        const socket: ChildSocket = { get lastActivity () { return tunnel.lastActivity }, hold: () => {}, end: (code, reason) => tunnel.closeWith(code, reason) }
        this.#sockets.add(socket)
        tunnel.once('close', () => this.#sockets.delete(socket))
        return { type: 'tunnel', headers: got.headers, stream: tunnel }
      }
      const headers: string[] = []
      for (let i = 0; i < got.headers.length; i += 2) if (got.headers[i] !== 'connection' && got.headers[i] !== 'upgrade') headers.push(got.headers[i], got.headers[i + 1])
      const channel = socketOverStream(got.socket, { end: 'supervisor', headers, head: got.head })
      channel.queueLimit = req.sendBuffer
      // The runtime parks or closes its own sockets when it stops; what it left open is cut with the connection.
      const socket: ChildSocket = { get lastActivity () { return channel.lastActivity }, hold: () => channel.hold(), end: (code, reason) => channel.close(code, reason) }
      this.#sockets.add(socket)
      channel.once('close', () => this.#sockets.delete(socket))
      return { type: 'socket', socket: channel }
    } catch (err) {
      throw this.#mapError(err)
    } finally {
      this.#done()
    }
  }

  #done (): void {
    this.#inFlight--
    this.#lastActivity = Date.now()
  }

  #mapError (err: unknown, req?: WorkerRequest): Error {
    if (this.#killedFor) return this.#killedFor
    // The request body failed (over the realm's limit, or the client left mid-body): the client's
    // fault, answered as such (413, 400), not as a broken worker.
    const bodyErr = req?.body?.errored as { statusCode?: number } | null | undefined
    if (bodyErr) return bodyErr.statusCode !== undefined && bodyErr.statusCode < 500 ? bodyErr as Error : new ClientAbortedError({ cause: bodyErr })
    const code = (err as { code?: string }).code
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.#log.warn({ timeoutMs: this.#realm.requestTimeout }, 'worker did not answer in time; recycling it')
      this.#killFor(new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout))
      return new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout)
    }
    return new WorkerExitedError(this.#realm.name, { cause: err })
  }

  /** Over its memory limit: the process group goes at once; in-flight requests get 502. */
  killForMemory (rssMb: number): void {
    const limit = this.#realm.maxRssMb ?? 0
    this.#log.error({ rssMb, limitMb: limit }, 'worker exceeded its memory limit; killing its process group')
    this.#killFor(new WorkerMemoryError(this.#realm.name, limit))
  }

  /** Kills the group and reports the reason as the worker's exit. */
  #killFor (reason: Error): void {
    if (this.#stopping || this.#killedFor) return
    this.#killedFor = reason
    this.#signal('SIGKILL')
  }

  /** process kind: the handler's state while it goes on serving, over IPC; given up after the realm's stop timeout. */
  async checkpoint (): Promise<Hibernated | undefined> {
    if (this.#stopping || !this.#child.connected) return undefined
    let waiter = this.#messages.get('checkpointed')
    if (!waiter) {
      const w = waiter = Promise.withResolvers<FromProcess>()
      w.promise.catch(() => { /* the caller's race reports it */ }).finally(() => { if (this.#messages.get('checkpointed') === w) this.#messages.delete('checkpointed') })
      this.#messages.set('checkpointed', w)
      this.#send({ t: 'checkpoint' })
    }
    const { name, stopTimeout } = this.#realm
    const m = await within(waiter.promise, stopTimeout, () => new WorkerTimeoutError(name, stopTimeout)) as Extract<FromProcess, { t: 'checkpointed' }>
    if (m.error !== undefined) throw new CheckpointFailedError(name, { cause: new Error(m.error) })
    return m.hibernated
  }

  stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop (reason: StopReason): Promise<Hibernated | undefined> {
    let hibernated: Hibernated | undefined
    // exec has no runtime of ours to park or close its sockets: the supervisor closes them, saying why.
    if (this.#realm.kind === 'exec') for (const s of this.#sockets) s.end(...STOP_CLOSE_CODES[reason])
    // A message written before this may still be on its way when the runtime parks: a narrow window the
    // thread kind does not have (its stop travels behind the frames on one port).
    else for (const s of this.#sockets) s.hold()
    if (this.#child.connected) {
      this.#child.on('message', (m: FromProcess) => { if (m?.t === 'hibernated') hibernated = { state: m.state } })
      this.#send({ t: 'stop', reason })
    } else {
      this.#signal('SIGTERM')
    }
    const finished = Promise.all([this.#exited, this.#channelClosed]).then(() => true)
    const exited = await Promise.race([finished, sleep(this.#realm.stopTimeout, false, { ref: false })])
    if (!exited) this.#log.warn({ reason }, 'worker did not stop in time; killing its process group')
    // Whatever the leader left running in its group goes with it.
    this.#signal('SIGKILL')
    if (!this.#gone) await this.#exited
    await this.#cleanup()
    return hibernated
  }

  #signal (sig: NodeJS.Signals): void {
    if (this.#child.pid === undefined) return
    try {
      process.kill(-this.#child.pid, sig)
    } catch {
      // The group is already gone.
    }
  }

  async #kill (): Promise<void> {
    this.#stopping ??= Promise.resolve(undefined)
    this.#signal('SIGKILL')
    if (!this.#gone) await this.#exited
    await this.#cleanup()
  }

  async #cleanup (): Promise<void> {
    await this.#pool?.destroy().catch(() => { /* already destroyed */ })
    // Its account's leftovers go first (a transient uid's daemonised helpers), then its directory.
    for (const release of this.#releases.splice(0)) await release().catch((err: unknown) => this.#log.warn({ err }, 'releasing a stopped worker\'s account failed'))
    if (this.#endpoint) await removePrivateDir(this.#endpoint.dir)
  }
}
