// @sessiond/supervisor: one dedicated worker per (session, realm).
export { Supervisor } from './supervisor.ts'
export type { DispatchRequest, ReconfigureSummary, SupervisorOptions, SupervisorStats } from './supervisor.ts'
export type { Identity, WorkerRequest, WorkerResponse } from './worker-instance.ts'
export type { WorkerLimits } from './worker-limits.ts'
export { Duration, WorkerRealmFields, WorkerRealmSchema, workerRealm } from './config.ts'
export type { WorkerRealm } from './config.ts'
export { parseDuration } from './duration.ts'
export * from './errors.ts'
