// @sessiond/supervisor: one dedicated worker per (session, realm).
export { Supervisor } from './supervisor.ts'
export type { SupervisorOptions } from './supervisor.ts'
export type {
  DispatchRequest, DispatchUpgrade, Dispatcher, DrainOptions, DrainSummary, HostInfo, Identity, PlacementInfo, ReconfigureSummary,
  StartRequest, SupervisorStats, UpgradeResult, WorkerRequest, WorkerResponse, WorkerSocket
} from './dispatcher.ts'
export { WORKER_STATES } from './operator-views.ts'
export type {
  RealmStatus, SupervisorStatus, WorkerAction, WorkerActionResult, WorkerFilter, WorkerInfo, WorkerState, WorkerTarget
} from './operator-views.ts'
export type { HistogramData } from './fixed-histogram.ts'
export { FixedHistogram, SECONDS_BUCKETS } from './fixed-histogram.ts'
export type { RealmCounts } from './realm-counters.ts'
export { REJECT_REASON_CODES } from './realm-counters.ts'
export type { ConfirmedPlacement, PlacementGuard } from './supervisor.ts'
// Several hosts (cluster/): each supervisor host, its listener for gateways, and each gateway's dispatcher.
export { ClusterSupervisor } from './cluster/cluster-supervisor.ts'
export type { ClusterSupervisorOptions } from './cluster/cluster-supervisor.ts'
export { ClusterDispatcher } from './cluster/cluster-dispatcher.ts'
export type { ClusterDispatcherOptions } from './cluster/cluster-dispatcher.ts'
export { DispatchServer } from './cluster/dispatch-server.ts'
export type { DispatchServerOptions } from './cluster/dispatch-server.ts'
export { CallSigner, CallVerifier, GATEWAY_ROLE, SUPERVISOR_ROLE, certificateRole } from './cluster/cluster-auth.ts'
export type { ClusterAuth } from './cluster/cluster-auth.ts'
export { CALL_HEADER, DISPATCH_PATH, HOP_BY_HOP, SIG_HEADER } from './cluster/wire.ts'
export type { WorkerLimits } from './worker-limits.ts'
export { ClusterSchema, HOST_ID, WORKER_REALM_KEYS, WorkerRealmFields, WorkerRealmSchema, workerRealm } from './config.ts'
export type { ClusterConfig, WorkerRealm } from './config.ts'
export { workerKind } from './kinds/index.ts'
/** The context kind's bundle of a realm's handler: for checking a handler ahead, and for bench/context-compile.ts. */
export { contextBundle } from './kinds/context-bundle.ts'
export type { ContextBundle } from './kinds/context-bundle.ts'
export type { WorkerDescription, WorkerUsage } from './kinds/worker-kind.ts'
// The config file's vocabulary, for every role's schema.
export { Duration, parseDuration } from './duration.ts'
export { ACCOUNT_NAME, ACCOUNT_NAME_PATTERN } from './account-name.ts'
export { exponentialDelay } from './exponential-delay.ts'
export { ByteSize, parseByteSize } from './byte-size.ts'
export { LISTEN_PATTERN, parseListenAddress } from './listen-address.ts'
export type { ListenAddress } from './listen-address.ts'
export * from './errors.ts'
export { sessionHash } from '@sessiond/worker-sdk/internal'
export { within } from './within.ts'
