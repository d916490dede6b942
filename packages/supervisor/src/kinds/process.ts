// kind: process — the realm's handler in a Node child process of its own,
// served by the worker-sdk's HTTP mode. A process is a real boundary (its
// own memory, and its own uid/gid with runAs) where a thread is not.
//
// It boots without a session (so it can wait as a spare) and is then
// claimed over its IPC channel; it loads the handler's module ahead only
// when it will not change accounts: with runAs, no handler code runs before
// the switch.
import { fileURLToPath } from 'node:url'
import type { ProcessClaim } from '@sessiond/worker-sdk/transport'
import { sessionHash } from '@sessiond/worker-sdk'
import type { WorkerRealm } from '../config.ts'
import { childEnv, sessionEnv } from './child-env.ts'
import { checkChildRealm, childSession } from './child-session.ts'
import type { ChildSession } from './child-session.ts'
import { ChildWorker } from './child-worker.ts'
import type { ChildSpawn } from './child-worker.ts'
import { moduleRealmProblems } from './module-realm.ts'
import type { BootOptions, Hibernated, KindHost, SessionStart, Worker, WorkerKind } from './worker-kind.ts'
import type { Identity } from '../dispatcher.ts'

const PROCESS_RUNTIME = fileURLToPath(import.meta.resolve('@sessiond/worker-sdk/process-runtime'))

export const processKind: WorkerKind = {
  name: 'process',
  hibernates: true,

  validate: (realm) => moduleRealmProblems(realm),

  check: checkChildRealm,

  boot: async (realm: WorkerRealm, host: KindHost, { logger, onExit }: BootOptions) =>
    ChildWorker.boot({ realm, spawn: processSpawn(realm, await host.runDir(), host.logLevel, true), logger, onExit }),

  async start (realm: WorkerRealm, host: KindHost, { identity, logger, onExit, resume }: SessionStart, spare?: Worker): Promise<Worker> {
    const session = await childSession(realm, host, identity)
    const worker = (spare as ChildWorker | undefined) ??
      await ChildWorker.boot({ realm, spawn: processSpawn(realm, await host.runDir(), host.logLevel), logger, onExit })
    await worker.claim({ endpoint: session.endpoint, headers: [], logger, onExit, message: processClaim(realm, identity, session, resume) })
    return worker
  }
}

/** The runtime's argv and environment: no session yet, so that it can wait as a spare. */
function processSpawn (realm: WorkerRealm, runDir: string, logLevel: string, spare = false): ChildSpawn {
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
function processClaim (realm: WorkerRealm, identity: Identity, { endpoint, storeUrl, runAs }: ChildSession, resume?: Hibernated): ProcessClaim {
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
