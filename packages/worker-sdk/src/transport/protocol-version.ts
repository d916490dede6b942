import type { ProtocolVersion } from './messages.ts'

/**
 * What this worker-sdk's two ends speak. Both ship in one package, so a
 * mismatch means a supervisor and a thread runtime loaded from different
 * installs; the runtime refuses such a task rather than misreading it.
 */
export const PROTOCOL_VERSION: ProtocolVersion = 3
