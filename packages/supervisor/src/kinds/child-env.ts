import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Identity } from '../dispatcher.ts'

// A child worker gets a curated environment, not the daemon's: whatever
// secrets a deployment put in the daemon's environment stay there.
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'NODE_COMPILE_CACHE']

/** The part of the daemon's environment a child worker may see. */
export function childEnv (daemonEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of PASSED_THROUGH) {
    const v = daemonEnv[name]
    if (v !== undefined) env[name] = v
  }
  return env
}

/** The session's variables, per the exec contract. */
export function sessionEnv (identity: Identity, realm: string, endpoint: WorkerEndpoint, storeUrl: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    SESSIOND_SESSION_ID: identity.sessionId,
    SESSIOND_USER: identity.user,
    SESSIOND_REALM: realm
  }
  // The store's HTTP API with a token for this session only.
  if (storeUrl !== undefined) env.SESSIOND_STORE_URL = storeUrl
  if (endpoint.kind === 'unix') env.SESSIOND_SOCKET = endpoint.socketPath
  else env.PORT = String(endpoint.port)
  return env
}
