// @sessiond/supervisor: one dedicated worker per (session, realm).
export { Supervisor } from './supervisor.ts'
export type { SupervisorOptions } from './supervisor.ts'
export type {
  DispatchRequest, DispatchUpgrade, Dispatcher, Identity, ReconfigureSummary, SupervisorStats, UpgradeResult,
  WorkerRequest, WorkerResponse, WorkerSocket
} from './dispatcher.ts'
export type { WorkerLimits } from './worker-limits.ts'
export { Duration, WORKER_REALM_KEYS, WorkerRealmFields, WorkerRealmSchema, workerRealm } from './config.ts'
export type { WorkerRealm } from './config.ts'
export { workerKind } from './kinds/index.ts'
export type { WorkerDescription } from './kinds/worker-kind.ts'
export { parseDuration } from './duration.ts'
export * from './errors.ts'
