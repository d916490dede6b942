import type { WorkerRealm } from '../config.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Identity } from '../worker-instance.ts'
import { childEnv, sessionEnv } from './child-env.ts'
import { substituteArgv } from './http-child.ts'
import type { ChildSpawn } from './http-child.ts'

/**
 * kind: exec — any executable that serves HTTP, in any language: the realm's
 * command, told where to listen by $SESSIOND_SOCKET or $PORT. It learns who
 * it serves from the environment and from X-Sessiond-User on each request.
 * It knows its session from its first instruction, so it cannot wait as a spare.
 */
export function execSpawn (realm: WorkerRealm, identity: Identity, endpoint: WorkerEndpoint, storeUrl: string | undefined, runAs?: SpawnIdentity): ChildSpawn {
  return {
    argv: substituteArgv(realm.command ?? [], endpoint),
    env: {
      ...childEnv(),
      ...sessionEnv(identity, realm.name, endpoint, storeUrl),
      ...(runAs && { HOME: runAs.home, USER: runAs.user, LOGNAME: runAs.user })
    },
    cwd: endpoint.dir,
    ipc: false,
    // Any executable: spawn switches uid/gid (supplementary groups are cleared).
    ...(runAs && { uid: runAs.uid, gid: runAs.gid })
  }
}

/** Who the request is for, set by the supervisor on every request. */
export function execHeaders (identity: Identity): string[] {
  return ['x-sessiond-user', identity.user]
}
