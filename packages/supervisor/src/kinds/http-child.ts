// kinds process and exec — a child process that serves HTTP.
//
//   HttpChildWorker ── spawn(argv, env, own process group) ──▶ child listens on
//        │                                                   <private dir>/w.sock or 127.0.0.1:PORT
//        └─ undici Pool (this worker's only) ── HTTP/1.1 keep-alive ──▶ child
//
// Ready when the endpoint accepts a connection. Stopping signals the whole
// process group (SIGTERM, then SIGKILL after stopTimeout), so helpers the
// child started go too.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'
import type { StopReason } from '@sessiond/worker-sdk/protocol'
import { logChildOutput } from '../child-output.ts'
import type { WorkerRealm } from '../config.ts'
import { WorkerExitedError, WorkerStartError, WorkerStartTimeoutError, WorkerTimeoutError } from '../errors.ts'
import { removeEndpoint } from '../worker-endpoint.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Hibernated, WorkerInstance, WorkerRequest, WorkerResponse } from '../worker-instance.ts'

export interface ChildSpec {
  argv: string[]
  env: Record<string, string>
  /** Headers added to every request (never taken from the client). */
  headers: string[]
  uid?: number
  gid?: number
}

export interface HttpChildOptions {
  realm: WorkerRealm
  endpoint: WorkerEndpoint
  spec: ChildSpec
  logger: Logger
  onExit: (err: Error) => void
}

/** Replaces $PORT and $SESSIOND_SOCKET in argv, so servers that take them as arguments run unmodified. */
export function substituteArgv (argv: string[], endpoint: WorkerEndpoint): string[] {
  const port = endpoint.kind === 'port' ? String(endpoint.port) : ''
  const socket = endpoint.kind === 'unix' ? endpoint.socketPath : ''
  return argv.map(a => a.replaceAll('$SESSIOND_SOCKET', socket).replaceAll('$PORT', port))
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

export class HttpChildWorker implements WorkerInstance {
  #child: ChildProcess
  #pool: Pool
  #realm: WorkerRealm
  #endpoint: WorkerEndpoint
  #spec: ChildSpec
  #log: Logger
  #onExit: (err: Error) => void
  #inFlight = 0
  #lastActivity = Date.now()
  #stopping: Promise<Hibernated | undefined> | null = null
  #exited: Promise<unknown>
  #gone = false

  static async start (opts: HttpChildOptions): Promise<HttpChildWorker> {
    const w = new HttpChildWorker(opts)
    try {
      await w.#waitUntilReady()
    } catch (err) {
      await w.#kill()
      throw err
    }
    return w
  }

  private constructor ({ realm, endpoint, spec, logger, onExit }: HttpChildOptions) {
    this.#realm = realm
    this.#endpoint = endpoint
    this.#spec = spec
    this.#log = logger
    this.#onExit = onExit
    const [cmd, ...args] = substituteArgv(spec.argv, endpoint)
    this.#child = spawn(cmd, args, {
      env: spec.env,
      cwd: endpoint.dir,
      // Its own process group: stop and kill reach everything it started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(spec.uid !== undefined && { uid: spec.uid }),
      ...(spec.gid !== undefined && { gid: spec.gid })
    })
    this.#child.on('error', (err) => this.#log.error({ err }, 'worker process error'))
    logChildOutput(this.#child.stdout!, logger, 'stdout')
    logChildOutput(this.#child.stderr!, logger, 'stderr')
    this.#exited = once(this.#child, 'exit')
    this.#child.once('exit', (code, signal) => {
      this.#gone = true
      if (this.#stopping) return
      const err = new WorkerExitedError(realm.name)
      this.#log.error({ code, signal }, 'worker process exited')
      this.#stopping = this.#cleanup().then(() => undefined)
      this.#pool.destroy(err).catch(() => { /* already destroyed */ })
      onExit(err)
    })
    this.#pool = endpoint.kind === 'unix'
      ? new Pool('http://localhost', { socketPath: endpoint.socketPath, pipelining: 1, connections: 16 })
      : new Pool(`http://127.0.0.1:${endpoint.port}`, { pipelining: 1, connections: 16 })
  }

  get inFlight (): number { return this.#inFlight }
  get lastActivity (): number { return this.#lastActivity }

  async #waitUntilReady (): Promise<void> {
    const deadline = Date.now() + this.#realm.startTimeout
    const ep = this.#endpoint
    for (;;) {
      if (this.#gone) throw new WorkerStartError(this.#realm.name, { cause: new Error(`exited with ${this.#child.exitCode ?? this.#child.signalCode}`) })
      const ok = await new Promise<boolean>((resolve) => {
        const sock = ep.kind === 'unix' ? connect(ep.socketPath) : connect(ep.port, '127.0.0.1')
        sock.once('connect', () => { sock.destroy(); resolve(true) })
        sock.once('error', () => resolve(false))
      })
      if (ok) return
      if (Date.now() > deadline) throw new WorkerStartTimeoutError(this.#realm.name, this.#realm.startTimeout)
      await sleep(15)
    }
  }

  async request (req: WorkerRequest): Promise<WorkerResponse> {
    if (this.#stopping) throw new WorkerExitedError(this.#realm.name)
    this.#inFlight++
    this.#lastActivity = Date.now()
    const u = new URL(req.url)
    let res: Dispatcher.ResponseData
    try {
      res = await this.#pool.request({
        path: u.pathname + u.search,
        method: req.method as Dispatcher.HttpMethod,
        headers: this.#spec.headers.length > 0 ? withOwnHeaders(req.headers, this.#spec.headers) : req.headers,
        body: req.body,
        headersTimeout: this.#realm.requestTimeout,
        bodyTimeout: 0
      })
    } catch (err) {
      this.#done()
      throw this.#mapError(err)
    }
    const body = res.body as unknown as Readable
    body.once('close', () => this.#done())
    return { status: res.statusCode, headers: toHeaderList(res.headers), body }
  }

  #done (): void {
    this.#inFlight--
    this.#lastActivity = Date.now()
  }

  #mapError (err: unknown): Error {
    const code = (err as { code?: string }).code
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.#log.warn({ timeoutMs: this.#realm.requestTimeout }, 'worker did not answer in time; recycling it')
      void this.#recycle()
      return new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout)
    }
    return new WorkerExitedError(this.#realm.name, { cause: err })
  }

  /** A hung worker is killed at once and reported as exited, so the next request gets a fresh one. */
  async #recycle (): Promise<void> {
    if (this.#stopping) return
    this.#stopping = this.#kill().then(() => undefined)
    this.#onExit(new WorkerTimeoutError(this.#realm.name, this.#realm.requestTimeout))
  }

  stop (reason: StopReason): Promise<Hibernated | undefined> {
    this.#stopping ??= this.#stop(reason)
    return this.#stopping
  }

  async #stop (reason: StopReason): Promise<undefined> {
    this.#signal('SIGTERM')
    const exited = await Promise.race([this.#exited.then(() => true), sleep(this.#realm.stopTimeout, false, { ref: false })])
    if (!exited) {
      this.#log.warn({ reason }, 'worker did not stop in time; killing its process group')
      await this.#kill()
    }
    await this.#cleanup()
    return undefined
  }

  #signal (sig: NodeJS.Signals): void {
    if (this.#gone || this.#child.pid === undefined) return
    try {
      process.kill(-this.#child.pid, sig)
    } catch {
      // The group is already gone.
    }
  }

  async #kill (): Promise<void> {
    this.#signal('SIGKILL')
    if (!this.#gone) await this.#exited
    await this.#cleanup()
  }

  async #cleanup (): Promise<void> {
    await this.#pool.destroy().catch(() => { /* already destroyed */ })
    await removeEndpoint(this.#endpoint)
  }
}
