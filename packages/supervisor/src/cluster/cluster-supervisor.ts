// One supervisor host of a cluster: the embedded Supervisor, with the
// placement directory's say over which of its slots it may serve, a
// membership lease, and moves (drain, migration) to other hosts.
//
//   gateway ── dispatch(epoch) ──▶ safe()? ──▶ Supervisor.dispatch
//                                                 hot path: a live worker of that epoch
//                                                 cold path: confirm() ── directory: (this host, epoch)?
//                                                        draining: hand the slot to another host, 421
//   drain / migrate ──▶ for each slot: beginMove (new requests: 421 SUP_ERR_MOVING, held at the
//                       gateway) → moveOut (admitted requests finish, the worker hibernates, its
//                       state saved under its epoch) → place(move): epoch + 1 on the new host,
//                       published → endMove; the held requests go to the new host, which resumes
//   lease lost ──▶ serve nothing, stop every worker (their saves are fenced), join again
import type { ClusterDirectory, LiveMember, Placement } from '@sessiond/session-store'
import type { StopReason } from '@sessiond/worker-sdk/transport'
import type { Logger } from 'pino'
import type { WorkerRealm } from '../config.ts'
import type {
  DispatchRequest, DispatchUpgrade, Dispatcher, DrainOptions, DrainSummary, HostInfo, PlacementInfo, ReconfigureSummary, StartRequest, SupervisorStats,
  UpgradeResult, WorkerResponse
} from '../dispatcher.ts'
import type { SupervisorStatus, WorkerAction, WorkerActionResult, WorkerFilter, WorkerInfo, WorkerTarget } from '../operator-views.ts'
import { HostFencedError, NoPlacementError, NotThisHostError, StaleEpochError, UnknownHostError } from '../errors.ts'
import { Supervisor } from '../supervisor.ts'
import type { ConfirmedPlacement, SupervisorOptions } from '../supervisor.ts'
import { Membership } from './membership.ts'
import { freeCapacity, rendezvous } from './rendezvous.ts'

/** Slots a drain moves at once. */
const MOVES_AT_ONCE = 4
const DEFAULT_DRAIN_MS = 60_000

export interface ClusterSupervisorOptions extends Omit<SupervisorOptions, 'placement' | 'hostId'> {
  directory: ClusterDirectory
  hostId: string
  /** How many workers this host takes, for the weight of new placements. */
  capacity: number
  leaseMs: number
  /** How long a move waits for a slot's admitted requests to finish (default 10 s). */
  moveWaitMs?: number
}

export class ClusterSupervisor implements Dispatcher {
  readonly hostId: string
  #sup: Supervisor
  #dir: ClusterDirectory
  #membership: Membership
  #log: Logger
  #address = ''
  #capacity: number
  #moveWaitMs: number
  #draining = false

  constructor ({ directory, hostId, capacity, leaseMs, moveWaitMs = 10_000, ...opts }: ClusterSupervisorOptions) {
    this.hostId = hostId
    this.#dir = directory
    this.#log = opts.logger
    this.#capacity = capacity
    this.#moveWaitMs = moveWaitMs
    this.#sup = new Supervisor({ ...opts, hostId, placement: { confirm: (id, realm, epoch) => this.#confirm(id, realm, epoch) } })
    this.#membership = new Membership({
      directory,
      leaseMs,
      logger: opts.logger.child({ component: 'membership' }),
      info: () => ({ host: hostId, address: this.#address, capacity: this.#capacity, workers: this.#sup.stats().workers, draining: this.#draining }),
      onLapse: () => this.#fenced()
    })
  }

  /**
   * Joins the cluster, saying that gateways reach this host at `address`
   * (its dispatch listener, listening by now); from then on gateways may
   * place sessions here.
   */
  async start (address: string): Promise<void> {
    this.#address = address
    await this.#membership.start()
  }

  get supervisor (): Supervisor {
    return this.#sup
  }

  get draining (): boolean {
    return this.#draining
  }

  dispatch (req: DispatchRequest): Promise<WorkerResponse> {
    // Never a request served past the point where this host's lease may have run out.
    if (!this.#membership.safe()) return Promise.reject(new HostFencedError())
    return this.#sup.dispatch(req)
  }

  upgrade (req: DispatchUpgrade): Promise<UpgradeResult> {
    if (!this.#membership.safe()) return Promise.reject(new HostFencedError())
    return this.#sup.upgrade(req)
  }

  startWorker (req: StartRequest): Promise<'live' | 'started'> {
    if (!this.#membership.safe()) return Promise.reject(new HostFencedError())
    return this.#sup.startWorker(req)
  }

  workers (filter?: WorkerFilter): Promise<WorkerInfo[]> {
    return this.#sup.workers(filter)
  }

  workerAction (target: WorkerTarget, action: WorkerAction): Promise<WorkerActionResult> {
    return this.#sup.workerAction(target, action)
  }

  status (): Promise<SupervisorStatus> {
    return this.#sup.status()
  }

  /** The cold path's question: is this slot this host's, under that epoch? */
  async #confirm (sessionId: string, realm: string, epoch: number | undefined): Promise<ConfirmedPlacement> {
    if (!this.#membership.safe()) throw new HostFencedError()
    const p = await this.#dir.read(sessionId, realm)
    if (!p || p.host !== this.hostId || p.epoch !== epoch) throw new StaleEpochError(realm)
    if (this.#draining) {
      // It has no worker here (this is its cold start): the slot only needs a new host.
      await this.#handOff(sessionId, realm, p).catch((err: unknown) => this.#log.warn({ err, realm }, 'a draining host could not hand a session on'))
      throw new StaleEpochError(realm)
    }
    return { ...(p.failover && { failover: p.failover }), ...(p.savedAt !== undefined && { savedAt: p.savedAt }) }
  }

  async #handOff (sessionId: string, realm: string, p: Placement): Promise<Placement> {
    const target = await this.#target(sessionId, realm)
    const out = await this.#dir.place(sessionId, realm, target, p.epoch, 'move', this.hostId)
    if (!out.placed) throw new StaleEpochError(realm)
    return out.placement
  }

  /** Another live host for the slot, not draining, by weighted rendezvous. */
  async #target (sessionId: string, realm: string, wanted?: string): Promise<string> {
    const { now, members } = await this.#dir.members()
    const usable = (m: LiveMember) => m.host !== this.hostId && !m.draining && m.leaseEnd > now
    if (wanted !== undefined) {
      if (!members.some(m => m.host === wanted && usable(m))) throw new UnknownHostError(wanted)
      return wanted
    }
    const host = rendezvous(`${sessionId}\n${realm}`, members.filter(usable).map(m => ({ host: m.host, weight: freeCapacity(m.capacity, m.workers) })))
    if (host === undefined) throw new UnknownHostError('(another host to move to)')
    return host
  }

  /**
   * Moves one slot of this host to `to` (or the rendezvous choice): the
   * worker, if any, hibernates once its admitted requests are done, and
   * its placement moves with a new epoch.
   */
  async #move (sessionId: string, realm: string, to?: string): Promise<PlacementInfo> {
    const started = Date.now()
    this.#sup.beginMove(sessionId, realm)
    try {
      const p = await this.#dir.read(sessionId, realm)
      if (!p || p.host !== this.hostId) {
        // Not this host's (any more): a worker left here is stale, and goes.
        await this.#sup.moveOut(sessionId, realm, 0)
        if (!p) throw new NoPlacementError(realm)
        return { host: p.host, epoch: p.epoch }
      }
      const target = await this.#target(sessionId, realm, to)
      const out = await this.#sup.moveOut(sessionId, realm, this.#moveWaitMs)
      const placed = await this.#dir.place(sessionId, realm, target, p.epoch, 'move', this.hostId)
      if (!placed.placed) throw new StaleEpochError(realm)
      this.#log.info({ realm, to: target, epoch: placed.placement.epoch, worker: out !== null, saved: out?.saved ?? false, ms: Date.now() - started }, 'moved a session to another host')
      return { host: placed.placement.host, epoch: placed.placement.epoch }
    } finally {
      this.#sup.endMove(sessionId, realm)
    }
  }

  async drain (host: string, { deadlineMs = DEFAULT_DRAIN_MS }: DrainOptions = {}): Promise<DrainSummary> {
    if (host !== this.hostId) throw new NotThisHostError(host, this.hostId)
    this.#draining = true
    // Said at once, so that no gateway places a new session here meanwhile.
    await this.#membership.renewNow().catch(() => { /* the next renewal says it */ })
    const deadline = Date.now() + deadlineMs
    const slots = this.#sup.slots()
    const summary: DrainSummary = { host, moved: 0, failed: 0 }
    let next = 0
    const worker = async () => {
      while (next < slots.length) {
        const { sessionId, realm } = slots[next++]
        if (Date.now() >= deadline) {
          summary.failed++
          continue
        }
        try {
          await this.#move(sessionId, realm)
          summary.moved++
        } catch (err) {
          summary.failed++
          this.#log.warn({ err, realm }, 'a session could not be moved off the draining host')
        }
      }
    }
    await Promise.all(Array.from({ length: MOVES_AT_ONCE }, worker))
    this.#log.info(summary, 'drained')
    return summary
  }

  async migrate (sessionId: string, realm: string, toHost: string): Promise<PlacementInfo> {
    return this.#move(sessionId, realm, toHost)
  }

  async hosts (): Promise<HostInfo[]> {
    const { members } = await this.#dir.members()
    return members.map(({ host, address, capacity, workers, draining, leaseEnd }) => ({ host, address, capacity, workers, draining, leaseEnd }))
  }

  async placement (sessionId: string, realm: string): Promise<PlacementInfo | null> {
    const p = await this.#dir.read(sessionId, realm)
    return p && { host: p.host, epoch: p.epoch }
  }

  stopSession (sessionId: string, reason?: StopReason): Promise<void> {
    return this.#sup.stopSession(sessionId, reason)
  }

  sessions (): Promise<string[]> {
    return this.#sup.sessions()
  }

  reconfigure (realms: readonly WorkerRealm[]): Promise<ReconfigureSummary> {
    return this.#sup.reconfigure(realms)
  }

  stats (): SupervisorStats {
    return this.#sup.stats()
  }

  /** The lease may have run out: nothing is served from now on, and every worker stops (its save fenced by its epoch). */
  #fenced (): void {
    void this.#sup.sessions().then(ids => Promise.all(ids.map(id => this.#sup.stopSession(id, 'shutdown'))))
      .catch((err: unknown) => this.#log.error({ err }, 'stopping the workers of a fenced host failed'))
  }

  /**
   * A clean stop: its sessions move to other hosts as a drain moves them
   * (none is left to wait out the lease), what cannot move hibernates here,
   * then the lease ends at once.
   */
  async close (): Promise<void> {
    if (this.#membership.safe()) {
      await this.drain(this.hostId, { deadlineMs: this.#moveWaitMs }).catch((err: unknown) => this.#log.warn({ err }, 'moving sessions off before the stop failed'))
    }
    await this.#sup.close()
    await this.#membership.close()
  }
}
