// @sessiond/worker-sdk/internal: what sessiond's own packages (the
// supervisor, the gateway) need of the SDK. Not an API for handler authors:
// it may change in any release. Handler authors import the package's root.
export { handlerFromModule } from './handler.ts'
export { sessionHash } from './session-hash.ts'
export { SessionLockClient } from './session-lock-client.ts'
export type { LockBackend, ReleasableSessionData } from './session-lock-client.ts'
export { LOG_REDACT, redactingLogger } from './log-redact.ts'
