import { fileURLToPath } from 'node:url'
import type { ProcessClaim } from '@sessiond/worker-sdk/transport'
import { sessionHash } from '@sessiond/worker-sdk'
import type { WorkerRealm } from '../config.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Hibernated, Identity } from '../worker-instance.ts'
import { childEnv, sessionEnv } from './child-env.ts'
import type { ChildSpawn } from './http-child.ts'

const PROCESS_RUNTIME = fileURLToPath(import.meta.resolve('@sessiond/worker-sdk/process-runtime'))

/**
 * kind: process — the realm's handler in a Node child process of its own,
 * served by the worker-sdk's HTTP mode. A process is a real boundary (its
 * own memory, and its own uid/gid when set) where a thread is not.
 *
 * It boots without a session (so it can wait as a spare) in `runDir`, and
 * loads the handler's module ahead only when it will not change accounts:
 * with runAs, no handler code runs before the switch.
 */
export function processBoot (realm: WorkerRealm, runDir: string, logLevel: string, spare = false): ChildSpawn {
  const heap = realm.resourceLimits?.maxOldGenerationSizeMb
  return {
    argv: [process.execPath, ...(heap ? [`--max-old-space-size=${heap}`] : []), PROCESS_RUNTIME],
    env: {
      ...childEnv(),
      SESSIOND_REALM: realm.name,
      SESSIOND_HANDLER: realm.handler ?? '',
      SESSIOND_LOG_LEVEL: logLevel,
      ...(realm.runAs === undefined && { SESSIOND_PRELOAD: '1' }),
      // A spare warms its request path while it waits for a session.
      ...(spare && { SESSIOND_SPARE: '1' })
    },
    cwd: runDir,
    ipc: true
  }
}

/** What turns a booted process runtime into one session's worker. */
export function processClaim (realm: WorkerRealm, identity: Identity, endpoint: WorkerEndpoint, storeUrl: string | undefined, runAs?: SpawnIdentity, resume?: Hibernated): ProcessClaim {
  return {
    t: 'claim',
    env: { ...sessionEnv(identity, realm.name, endpoint, storeUrl), SESSIOND_SESSION_HASH: sessionHash(identity.sessionId) },
    cwd: endpoint.dir,
    // Started as root, the runtime itself drops to this account, keeping its
    // supplementary groups, which spawn's uid/gid would clear.
    ...(runAs && { runAs: { user: runAs.user, uid: runAs.uid, gid: runAs.gid, home: runAs.home } }),
    ...(resume && { resume })
  }
}
