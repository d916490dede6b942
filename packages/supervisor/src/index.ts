// @sessiond/supervisor: one dedicated worker per (session, realm).
export { Supervisor } from './supervisor.ts'
export type { SupervisorOptions } from './supervisor.ts'
export type {
  DispatchRequest, Dispatcher, Identity, ReconfigureSummary, SupervisorStats, WorkerRequest, WorkerResponse
} from './dispatcher.ts'
export type { WorkerLimits } from './worker-limits.ts'
export { Duration, WORKER_REALM_KEYS, WorkerRealmFields, WorkerRealmSchema, workerRealm } from './config.ts'
export type { WorkerRealm } from './config.ts'
export { workerKind } from './kinds/index.ts'
/** The context kind's bundle of a realm's handler: for checking a handler ahead, and for bench/context-compile.ts. */
export { contextBundle } from './kinds/context-bundle.ts'
export type { ContextBundle } from './kinds/context-bundle.ts'
export type { WorkerDescription } from './kinds/worker-kind.ts'
export { parseDuration } from './duration.ts'
export * from './errors.ts'
