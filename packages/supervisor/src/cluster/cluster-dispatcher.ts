// A gateway's Dispatcher in a cluster: each (session, realm) goes to the
// supervisor host the placement directory names, under that placement's epoch.
//
//   dispatch ─▶ cache hit (host, epoch), no body ──▶ RemoteSupervisor.dispatch   (the hot path)
//      │ miss / failed
//      └─▶ route: read the placement ── none, or its host's lease ran out ──▶ claim it
//                 for a live host (weighted rendezvous; a failover when it had one)
//                 ──▶ send; on the answer:
//                   421 SUP_ERR_STALE_EPOCH  read it again, send once more
//                   421 SUP_ERR_MOVING       hold: wait for its new placement (published), send there
//                   unreachable / fenced     hold: wait for the host's lease to end, then claim anew
//                   (a request cut off mid-exchange is sent again only when it is safe to: GET,
//                   HEAD, OPTIONS, its body kept whole)
//                 held requests give up at the hold deadline with 503 and Retry-After
//
// The gateway never takes routing or identity from a supervisor's answer: a
// 421 only makes it read the directory again, and the directory is Redis.
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import type { ClusterDirectory, Placement } from '@sessiond/session-store'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { Logger } from 'pino'
import { WORKER_REALM_KEYS } from '../config.ts'
import type { WorkerRealm } from '../config.ts'
import type {
  DispatchRequest, DispatchUpgrade, Dispatcher, DrainOptions, DrainSummary, HostInfo, PlacementInfo, ReconfigureSummary, StartRequest, UpgradeResult,
  WorkerResponse
} from '../dispatcher.ts'
import { HoldTimeoutError, HostLostError, NoPlacementError, SessionNotFoundError, UnknownHostError, WorkerNotFoundError, withRetryAfter } from '../errors.ts'
import { mergeStatus } from '../operator-views.ts'
import type { SupervisorStatus, WorkerAction, WorkerActionResult, WorkerFilter, WorkerInfo, WorkerTarget } from '../operator-views.ts'
import type { CallSigner } from './cluster-auth.ts'
import { MemberView } from './member-view.ts'
import { PlacementWaits } from './placement-waits.ts'
import { RemoteSupervisor, unreached } from './remote-supervisor.ts'
import { ReplayBody } from './replay-body.ts'
import { freeCapacity, rendezvous } from './rendezvous.ts'

/** Placements cached per gateway; the oldest go first beyond it. */
const CACHE_SIZE = 100_000
/** A request as routing sees it: who, where, and whether it is safe to send again. */
type Routed = Pick<DispatchRequest, 'identity' | 'realm' | 'method' | 'body'>
/** Methods a gateway sends again after a host was lost mid-exchange: nothing they did can have changed anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface ClusterDispatcherOptions {
  directory: ClusterDirectory
  signer: CallSigner
  logger: Logger
  /** How long a request may be held for a failover or a move before 503. */
  holdMs: number
  /** The members' lease: the view of them is read four times per lease. */
  leaseMs: number
  /** The gateway's own limit on a request: its deadline on the wire. */
  requestTimeoutMs: number
  /** The realms as this gateway knows them (for reconfigure's summary). */
  realms: readonly WorkerRealm[]
  /** Connections kept to each supervisor. */
  connections?: number
}

type Outcome = 'stale' | 'moving' | 'gone' | 'fatal'

/** Answers of a host that ran nothing of the request: it is sent again once the host is gone or back. */
const REFUSED = new Set(['SUP_ERR_FENCED', 'SUP_ERR_CLOSED', 'SUP_ERR_UNKNOWN_HOST', 'SUP_ERR_WORKER_STOPPED', 'STORE_ERR_UNAVAILABLE'])

export class ClusterDispatcher implements Dispatcher {
  #dir: ClusterDirectory
  #signer: CallSigner
  #log: Logger
  #holdMs: number
  #requestTimeoutMs: number
  #connections: number
  #members: MemberView
  #waits: PlacementWaits
  #remotes = new Map<string, RemoteSupervisor>()
  #cache = new Map<string, Placement>()
  #realms: readonly WorkerRealm[]

  constructor ({ directory, signer, logger, holdMs, leaseMs, requestTimeoutMs, realms, connections = 64 }: ClusterDispatcherOptions) {
    this.#dir = directory
    this.#signer = signer
    this.#log = logger
    this.#holdMs = holdMs
    this.#requestTimeoutMs = requestTimeoutMs
    this.#connections = connections
    this.#realms = realms
    // A host whose lease ran out: what waits on it now is cut off and sent where its sessions go.
    this.#members = new MemberView(directory, Math.max(50, Math.floor(leaseMs / 4)), logger, host => this.#remotes.get(host)?.lost())
    this.#waits = new PlacementWaits(directory)
  }

  async start (): Promise<void> {
    await this.#members.start()
  }

  dispatch (req: DispatchRequest): Promise<WorkerResponse> {
    const key = req.identity.sessionId + '\n' + req.realm
    const cached = this.#cache.get(key)
    if (req.deadline === undefined) req.deadline = Date.now() + this.#requestTimeoutMs
    if (cached !== undefined && req.body === null) {
      const remote = this.#remotes.get(cached.host)
      // The hot path: the host and epoch known, nothing to keep for a second attempt.
      if (remote !== undefined) {
        return remote.dispatch(req, cached.epoch, null).catch(err => this.#route(req, key, null, cached, err, (r, epoch) => r.dispatch(req, epoch, null)))
      }
    }
    const body = req.body === null ? null : new ReplayBody(req.body as Readable)
    return this.#route(req, key, body, cached, undefined, (r, epoch) => r.dispatch(req, epoch, body?.attempt() ?? null))
  }

  /** A WebSocket handshake, routed as a request without a body is: its connection goes to the slot's host. */
  upgrade (given: DispatchUpgrade): Promise<UpgradeResult> {
    // A copy: the gateway offers a parked socket again with the handshake it kept, which must not keep this deadline.
    const req = { ...given, deadline: given.deadline ?? Date.now() + this.#requestTimeoutMs }
    const key = req.identity.sessionId + '\n' + req.realm
    return this.#route({ ...req, body: null }, key, null, this.#cache.get(key), undefined, (r, epoch) => r.upgrade(req, epoch))
  }

  /** Starts the slot's worker on its host (placing it first when it has no place), as a request would. */
  startWorker (req: StartRequest): Promise<'live' | 'started'> {
    const key = req.identity.sessionId + '\n' + req.realm
    const routed: Routed = { identity: req.identity, realm: req.realm, method: 'GET', body: null }
    return this.#route(routed, key, null, this.#cache.get(key), undefined,
      (r, epoch) => r.control<'live' | 'started'>('startWorker', [req.identity.sessionId, req.identity.user, req.realm, epoch], this.#requestTimeoutMs))
  }

  async #route<T> (
    req: Routed, key: string, body: ReplayBody | null, placement: Placement | undefined, failure: unknown,
    send: (remote: RemoteSupervisor, epoch: number) => Promise<T>
  ): Promise<T> {
    const deadline = Date.now() + this.#holdMs
    let stale = 0
    for (;;) {
      if (failure !== undefined) {
        this.#cache.delete(key)
        const outcome = this.#outcome(failure, req, body)
        if (outcome === 'fatal') throw this.#final(failure, req)
        if (outcome === 'stale' && ++stale > 1) throw withRetryAfter(new HoldTimeoutError(req.realm, this.#holdMs, { cause: failure }), 1)
        if (outcome === 'moving') await this.#waits.changed(req.identity.sessionId, req.realm, placement!.epoch, deadline)
        if (outcome === 'gone') await this.#members.gone(placement!.host, deadline)
        if (Date.now() >= deadline) throw withRetryAfter(new HoldTimeoutError(req.realm, this.#holdMs, { cause: failure }), 1)
        placement = undefined
        failure = undefined
      }
      placement ??= await this.#resolve(req, deadline)
      try {
        const res = await send(this.#remote(placement.host), placement.epoch)
        body?.answered()
        this.#remember(key, placement)
        return res
      } catch (err) {
        failure = err
      }
    }
  }

  /** What a failed attempt means for the request. */
  #outcome (err: unknown, req: Routed, body: ReplayBody | null): Outcome {
    // The client's own body failed (too large, the client left): its answer, not the cluster's.
    if (req.body?.errored) return 'fatal'
    const whole = body === null || body.replayable
    const code = (err as { code?: string }).code
    if (code === 'SUP_ERR_STALE_EPOCH') return whole ? 'stale' : 'fatal'
    if (code === 'SUP_ERR_MOVING') return whole ? 'moving' : 'fatal'
    // Refused before anything ran: the host is going (or gone), its sessions with it; or its worker
    // was stopping (the host fenced itself, or a move raced the request).
    if (REFUSED.has(code ?? '')) return whole ? 'gone' : 'fatal'
    const how = unreached(err)
    if (how === 'refused') return whole ? 'gone' : 'fatal'
    if (how === 'lost') return whole && SAFE_METHODS.has(req.method) ? 'gone' : 'fatal'
    return 'fatal'
  }

  #final (err: unknown, req: Routed): unknown {
    const bodyErr = req.body?.errored
    if (bodyErr) return bodyErr
    if (unreached(err) !== null) return new HostLostError(req.realm, { cause: err })
    const code = (err as { code?: string }).code
    // A placement still changing after the one retry, or a body too large to send again: come back soon.
    if (code === 'SUP_ERR_STALE_EPOCH' || code === 'SUP_ERR_MOVING' || code === 'SUP_ERR_FENCED') return withRetryAfter(new HoldTimeoutError(req.realm, this.#holdMs, { cause: err }), 1)
    return err
  }

  /** The slot's placement, claimed for a live host when it has none or its host's lease ran out. */
  async #resolve (req: Routed, deadline: number): Promise<Placement> {
    const { sessionId } = req.identity
    for (;;) {
      let p: Placement | null | undefined
      try {
        p = await this.#dir.read(sessionId, req.realm)
      } catch (err) {
        // Redis slow or away for a moment: the request waits for it, as it waits for a failover.
        if ((err as { code?: string }).code !== 'STORE_ERR_UNAVAILABLE' || Date.now() >= deadline) throw err
        await sleep(50)
        continue
      }
      if (p && this.#members.isLive(p.host)) return p
      const target = this.#choose(sessionId, req.realm)
      if (target !== undefined) {
        try {
          const out = await this.#dir.place(sessionId, req.realm, target, p?.epoch ?? 0, 'claim')
          if (out.placed) {
            if (p) this.#log.info({ realm: req.realm, from: p.host, to: target, epoch: out.placement.epoch }, 'failed a session over to another host')
            return out.placement
          }
          p = out.placement
        } catch (err) {
          const code = (err as { code?: string }).code
          if (code === 'STORE_ERR_NO_SESSION') throw new SessionNotFoundError({ cause: err })
          if (code !== 'STORE_ERR_UNAVAILABLE' || Date.now() >= deadline) throw err
          p = undefined
        }
        if (p && this.#members.isLive(p.host)) return p
      }
      if (Date.now() >= deadline) throw withRetryAfter(new HoldTimeoutError(req.realm, this.#holdMs), 1)
      // No live host, or this view of them is older than Redis's: look again shortly.
      await this.#members.refresh().catch(() => { /* Redis slow: look again */ })
      await sleep(50)
    }
  }

  #choose (sessionId: string, realm: string): string | undefined {
    return rendezvous(`${sessionId}\n${realm}`, this.#members.live().filter(m => !m.draining).map(m => ({ host: m.host, weight: freeCapacity(m.capacity, m.workers) })))
  }

  #remember (key: string, p: Placement): void {
    if (this.#cache.size >= CACHE_SIZE && !this.#cache.has(key)) this.#cache.delete(this.#cache.keys().next().value!)
    this.#cache.set(key, p)
  }

  /** The client of a live member, made (or remade, when its address changed) on first use. */
  #remote (host: string): RemoteSupervisor {
    const member = this.#members.get(host)
    let remote = this.#remotes.get(host)
    if (remote && (member === undefined || remote.address === member.address)) return remote
    if (member === undefined) throw new UnknownHostError(host)
    void remote?.close()
    remote = new RemoteSupervisor({ host, address: member.address, signer: this.#signer, connections: this.#connections, headersTimeoutMs: this.#requestTimeoutMs })
    this.#remotes.set(host, remote)
    return remote
  }

  async hosts (): Promise<HostInfo[]> {
    await this.#members.refresh()
    return this.#members.live().map(({ host, address, capacity, workers, draining, leaseEnd }) => ({ host, address, capacity, workers, draining, leaseEnd }))
  }

  async placement (sessionId: string, realm: string): Promise<PlacementInfo | null> {
    const p = await this.#dir.read(sessionId, realm)
    return p && { host: p.host, epoch: p.epoch }
  }

  async drain (host: string, opts: DrainOptions = {}): Promise<DrainSummary> {
    await this.#members.refresh()
    if (!this.#members.isLive(host)) throw new UnknownHostError(host)
    return this.#remote(host).control<DrainSummary>('drain', [host, opts], (opts.deadlineMs ?? 60_000) + 30_000)
  }

  async migrate (sessionId: string, realm: string, toHost: string): Promise<PlacementInfo> {
    const p = await this.#dir.read(sessionId, realm)
    if (!p) throw new NoPlacementError(realm)
    await this.#members.refresh()
    if (!this.#members.isLive(toHost)) throw new UnknownHostError(toHost)
    return this.#remote(p.host).control<PlacementInfo>('migrate', [sessionId, realm, toHost], 60_000)
  }

  /** Every live host stops the session's workers (each host also hears the session's end from the store). */
  async stopSession (sessionId: string, reason: StopReason = 'logout'): Promise<void> {
    await Promise.all(this.#members.live().map(m => this.#remote(m.host).control('stopSession', [sessionId, reason]).catch((err: unknown) => {
      this.#log.warn({ err, host: m.host }, 'a host did not confirm stopping a session\'s workers')
    })))
  }

  /** Every live host's slots, each with its host. */
  async workers (filter: WorkerFilter = {}): Promise<WorkerInfo[]> {
    const all = await Promise.all(this.#members.live().map(m => this.#remote(m.host).control<WorkerInfo[]>('workers', [filter])))
    return all.flat()
  }

  /** The host holding the slot acts; the others answer that they have no such worker. */
  async workerAction (target: WorkerTarget, action: WorkerAction): Promise<WorkerActionResult> {
    const answers = await Promise.allSettled(this.#members.live().map(m => this.#remote(m.host).control<WorkerActionResult>('workerAction', [target, action])))
    const done = answers.find(a => a.status === 'fulfilled')
    if (done) return (done as PromiseFulfilledResult<WorkerActionResult>).value
    const failed = answers.find(a => (a as PromiseRejectedResult).reason?.code !== 'SUP_ERR_NO_WORKER') as PromiseRejectedResult | undefined
    throw failed ? failed.reason : new WorkerNotFoundError(`${target.session}.${target.realm}`)
  }

  /** The cluster's status: each realm's figures summed over the live hosts (host null). */
  async status (): Promise<SupervisorStatus> {
    const all = await Promise.all(this.#members.live().map(m => this.#remote(m.host).control<SupervisorStatus>('status', [])))
    return mergeStatus(all)
  }

  async sessions (): Promise<string[]> {
    const all = await Promise.all(this.#members.live().map(m => this.#remote(m.host).control<string[]>('sessions', [])))
    return [...new Set(all.flat())]
  }

  /**
   * A gateway's reload: the summary of what changed in the realms it
   * routes to. The workers' definitions are each supervisor host's own: a
   * host applies a changed file at its own reload (SIGHUP).
   */
  reconfigure (realms: readonly WorkerRealm[]): Promise<ReconfigureSummary> {
    const before = new Map(this.#realms.map(r => [r.name, r]))
    const summary: ReconfigureSummary = { added: [], changed: [], removed: [] }
    for (const r of realms) {
      const old = before.get(r.name)
      if (!old) summary.added.push(r.name)
      else if (!WORKER_REALM_KEYS.every(k => isDeepStrictEqual(old[k], r[k]))) summary.changed.push(r.name)
    }
    for (const name of before.keys()) if (!realms.some(r => r.name === name)) summary.removed.push(name)
    this.#realms = realms
    return Promise.resolve(summary)
  }

  async close (): Promise<void> {
    this.#members.close()
    this.#waits.close()
    await Promise.all([...this.#remotes.values()].map(r => r.close()))
    this.#remotes.clear()
  }
}
