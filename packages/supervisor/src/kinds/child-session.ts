import type { WorkerRealm } from '../config.ts'
import type { Identity } from '../dispatcher.ts'
import { RunAsNeedsRootError } from '../errors.ts'
import { resolveSpawnIdentity } from '../spawn-identity.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import { createEndpoint } from '../worker-endpoint.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { KindHost } from './worker-kind.ts'

/** What a child worker of one session needs before it is spawned or claimed. */
export interface ChildSession {
  /** The account it runs as, when the realm sets runAs. */
  runAs: SpawnIdentity | undefined
  endpoint: WorkerEndpoint
  storeUrl: string | undefined
}

/** The account, the private endpoint (owned by that account) and the store URL of one session's child worker. */
export async function childSession (realm: WorkerRealm, host: KindHost, identity: Identity): Promise<ChildSession> {
  const runAs = realm.runAs ? await resolveSpawnIdentity(realm.runAs, identity.user) : undefined
  const endpoint = await createEndpoint(await host.runDir(), realm.listen, runAs)
  return { runAs, endpoint, storeUrl: host.storeUrl(identity.sessionId) }
}

/** Switching accounts needs root: refused at start rather than at a session's first request. */
export function checkChildRealm (realm: WorkerRealm): void {
  if (realm.runAs !== undefined && process.getuid?.() !== 0) throw new RunAsNeedsRootError(realm.name)
}
