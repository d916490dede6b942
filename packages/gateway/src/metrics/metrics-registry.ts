// Every metric sessiond exposes (docs/metrics.md lists them), in one
// prom-client Registry: the supervisor's counters read through the Dispatcher
// at scrape time, the gateway's own request histograms, login counts, the
// store's operation times and lock counts, and prom-client's default process
// metrics. Labels are realm, kind, state, reason, status_class, backend, op,
// result (and host, once there are several): never a user or a session.
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { Metric, RegistryContentType } from 'prom-client'
import { WORKER_STATES } from '@sessiond/supervisor'
import type { Dispatcher, RealmStatus, SupervisorStatus } from '@sessiond/supervisor'
import type { SessionStore } from '@sessiond/session-store'
import type { LoginCounts } from './login-counts.ts'
import type { RealmRequestMetrics } from './realm-request-metrics.ts'
import { histogramSamples, snapshotMetric } from './snapshot-metric.ts'
import type { Sample, SnapshotMetric } from './snapshot-metric.ts'
import type { TimedStore } from './timed-store.ts'

export interface MetricsSources {
  dispatcher: Dispatcher
  store: TimedStore | SessionStore
  requests: RealmRequestMetrics
  logins: LoginCounts
}

/** prom-client's typings want its own metric classes; its Registry takes any object with name, type, help and get() (snapshot-metric.ts). */
function register (registry: Registry<RegistryContentType>, metric: SnapshotMetric): void {
  registry.registerMetric(metric as unknown as Metric)
}

/** How long one supervisor status serves the metrics of one scrape (they are collected together). */
const STATUS_REUSE_MS = 250

type CountKey = 'spawns' | 'spawnFailures' | 'crashes' | 'backoffs' | 'memoryKills' | 'hibernations' | 'resumes'
const WORKER_COUNTERS: Array<[name: string, key: CountKey, help: string]> = [
  ['sessiond_worker_spawns_total', 'spawns', 'Workers started (cold, from a spare, or resumed).'],
  ['sessiond_worker_spawn_failures_total', 'spawnFailures', 'Worker starts that failed: a command not found, a start timeout, an account missing.'],
  ['sessiond_worker_crashes_total', 'crashes', 'Workers that ended without being asked to (exit, hang, memory kill).'],
  ['sessiond_worker_backoffs_total', 'backoffs', 'Times a (session, realm) slot went into crash backoff.'],
  ['sessiond_worker_memory_kills_total', 'memoryKills', 'Workers killed for exceeding maxRssMb.'],
  ['sessiond_worker_hibernations_total', 'hibernations', 'Workers that hibernated (state saved) as they stopped.'],
  ['sessiond_worker_resumes_total', 'resumes', 'Workers that resumed from hibernated state.']
]

/**
 * One registry per text format: prom-client renames a registry's counters in
 * place for OpenMetrics (lib/registry.js metrics(): standardizeCounterName),
 * so a registry serves one format only.
 */
export function metricsRegistry ({ dispatcher, store, requests, logins }: MetricsSources, openMetrics = false): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>()
  registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE)
  collectDefaultMetrics({ register: registry })
  let cached: { at: number, status: Promise<SupervisorStatus> } | null = null
  const status = (): Promise<SupervisorStatus> => {
    if (!cached || Date.now() - cached.at > STATUS_REUSE_MS) cached = { at: Date.now(), status: dispatcher.status() }
    return cached.status
  }
  const perRealm = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: (r: RealmStatus) => Sample[]) =>
    register(registry, snapshotMetric(name, help, type, async () => (await status()).realms.flatMap(samples)))

  perRealm('sessiond_workers', 'Worker slots by realm, kind and state.', 'gauge', r =>
    WORKER_STATES.map(state => ({ labels: { realm: r.name, kind: r.kind, state }, value: r.workers[state] })))
  perRealm('sessiond_workers_peak', 'The most live workers a realm has had at once.', 'gauge', r => [{ labels: { realm: r.name }, value: r.counts.peakWorkers }])
  perRealm('sessiond_workers_limit', 'A realm\'s maxWorkers (absent: no limit of its own).', 'gauge', r => r.maxWorkers === null ? [] : [{ labels: { realm: r.name }, value: r.maxWorkers }])
  for (const [name, key, help] of WORKER_COUNTERS) perRealm(name, help, 'counter', r => [{ labels: { realm: r.name, kind: r.kind }, value: r.counts[key] }])
  perRealm('sessiond_worker_spawn_duration_seconds', 'Time from a worker\'s first request (or start) to its being ready.', 'histogram', r =>
    histogramSamples('sessiond_worker_spawn_duration_seconds', { realm: r.name, kind: r.kind }, r.counts.spawnSeconds))
  perRealm('sessiond_queue_depth', 'Requests waiting in a realm\'s workers\' queues now.', 'gauge', r => [{ labels: { realm: r.name }, value: r.queued }])
  perRealm('sessiond_queue_peak', 'The longest queue one worker of the realm has had.', 'gauge', r => [{ labels: { realm: r.name }, value: r.counts.peakQueued }])
  perRealm('sessiond_queue_wait_seconds', 'Time requests waited in a worker\'s queue before being let through.', 'histogram', r =>
    histogramSamples('sessiond_queue_wait_seconds', { realm: r.name }, r.counts.queueWaitSeconds))
  perRealm('sessiond_requests_rejected_total', '503s by reason: queue_full, queue_timeout, worker_limit, backoff, shutting_down, worker_stopping, transient_uids.', 'counter', r =>
    Object.entries(r.counts.rejected).map(([reason, value]) => ({ labels: { realm: r.name, reason }, value })))
  perRealm('sessiond_spare_workers', 'Spare workers by realm and state (ready, booting).', 'gauge', r =>
    r.spares === null ? [] : [{ labels: { realm: r.name, state: 'ready' }, value: r.spares.ready }, { labels: { realm: r.name, state: 'booting' }, value: r.spares.booting }])

  register(registry, snapshotMetric('sessiond_http_request_duration_seconds', 'Realm requests from arrival to the last byte of the answer, by realm and status class.', 'histogram', () =>
    [...requests.snapshot()].flatMap(({ realm, statusClass, data }) => histogramSamples('sessiond_http_request_duration_seconds', { realm, status_class: statusClass }, data))))
  register(registry, snapshotMetric('sessiond_login_attempts_total', 'Login attempts by result: success, failure, throttled (a 429 without a password check).', 'counter', () =>
    (['success', 'failure', 'throttled'] as const).map(result => ({ labels: { result }, value: logins[result] }))))

  const backend = store.kind
  if ('durations' in store) {
    register(registry, snapshotMetric('sessiond_store_operation_duration_seconds', 'Session store operations by backend and op, failures included.', 'histogram', () =>
      store.durations().flatMap(({ op, data }) => histogramSamples('sessiond_store_operation_duration_seconds', { backend, op }, data))))
  }
  const locks = (name: string, help: string, key: 'waits' | 'waitSeconds' | 'timeouts') =>
    register(registry, snapshotMetric(name, help, 'counter', () => [{ labels: { backend }, value: store.lockStats()[key] }]))
  locks('sessiond_store_lock_waits_total', 'Opens and writes that found the session\'s lock held and waited.', 'waits')
  locks('sessiond_store_lock_wait_seconds_total', 'Seconds spent waiting for session locks.', 'waitSeconds')
  locks('sessiond_store_lock_timeouts_total', 'Lock waits that gave up (STORE_ERR_LOCK_TIMEOUT).', 'timeouts')
  return registry
}

/** The metrics in both text formats, from the same sources. */
export class SessiondMetrics {
  readonly #prometheus: Registry<RegistryContentType>
  readonly #openMetrics: Registry<RegistryContentType>

  constructor (sources: MetricsSources) {
    this.#prometheus = metricsRegistry(sources, false)
    this.#openMetrics = metricsRegistry(sources, true)
  }

  /** Prometheus 0.0.4 text by default, OpenMetrics 1.0 when asked. */
  async render (openMetrics: boolean): Promise<{ contentType: string, body: string }> {
    const r = openMetrics ? this.#openMetrics : this.#prometheus
    return { contentType: r.contentType, body: await r.metrics() }
  }

  /** Whether a scraper's Accept header asks for OpenMetrics. */
  static wantsOpenMetrics (accept: string | undefined): boolean {
    return accept?.includes('application/openmetrics-text') ?? false
  }
}
