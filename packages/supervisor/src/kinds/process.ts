import { fileURLToPath } from 'node:url'
import { sessionHash } from '@sessiond/worker-sdk'
import type { WorkerRealm } from '../config.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import type { Identity } from '../worker-instance.ts'
import { childEnv } from './child-env.ts'
import type { ChildSpec } from './http-child.ts'

const PROCESS_RUNTIME = fileURLToPath(import.meta.resolve('@sessiond/worker-sdk/process-runtime'))

/**
 * kind: process — the realm's handler in a Node child process of its own,
 * served by the worker-sdk's HTTP mode. A process is a real boundary (its
 * own memory, and its own uid/gid when set) where a thread is not.
 */
export function processSpec (realm: WorkerRealm, identity: Identity, endpoint: WorkerEndpoint, logLevel: string, storeUrl: string | undefined, runAs?: SpawnIdentity): ChildSpec {
  const heap = realm.resourceLimits?.maxOldGenerationSizeMb
  return {
    argv: [process.execPath, ...(heap ? [`--max-old-space-size=${heap}`] : []), PROCESS_RUNTIME],
    env: {
      ...childEnv(identity, realm.name, endpoint, storeUrl),
      SESSIOND_HANDLER: realm.handler ?? '',
      SESSIOND_SESSION_HASH: sessionHash(identity.sessionId),
      SESSIOND_LOG_LEVEL: logLevel,
      // Started as root, the runtime itself drops to this account (keeping its
      // supplementary groups, which spawn's uid/gid would clear) before it
      // loads any handler code.
      ...(runAs && { SESSIOND_RUN_AS: `${runAs.user}:${runAs.uid}:${runAs.gid}`, HOME: runAs.home })
    },
    headers: []
  }
}
