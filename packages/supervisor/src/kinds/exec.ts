import type { WorkerRealm } from '../config.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Identity } from '../worker-instance.ts'
import { childEnv } from './child-env.ts'
import type { ChildSpec } from './http-child.ts'

/**
 * kind: exec — any executable that serves HTTP, in any language: the realm's
 * command, told where to listen by $SESSIOND_SOCKET or $PORT. It learns who
 * it serves from the environment and from X-Sessiond-User on each request.
 */
export function execSpec (realm: WorkerRealm, identity: Identity, endpoint: WorkerEndpoint, storeUrl: string | undefined, runAs?: SpawnIdentity): ChildSpec {
  return {
    argv: realm.command ?? [],
    env: { ...childEnv(identity, realm.name, endpoint, storeUrl), ...(runAs && { HOME: runAs.home, USER: runAs.user, LOGNAME: runAs.user }) },
    headers: ['x-sessiond-user', identity.user],
    // Any executable: spawn switches uid/gid (supplementary groups are cleared).
    ...(runAs && { uid: runAs.uid, gid: runAs.gid })
  }
}
