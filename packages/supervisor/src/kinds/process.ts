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
import { sessionHash } from '@sessiond/worker-sdk/internal'
import type { WorkerRealm } from '../config.ts'
import { childEnv, sessionEnv } from './child-env.ts'
import { checkChildRealm, childRealmProblems, childSession, reserveTransient } from './child-session.ts'
import type { ChildSession, Reserved } from './child-session.ts'
import { ChildWorker } from './child-worker.ts'
import type { ChildSpawn } from './child-worker.ts'
import { moduleRealmProblems } from './module-realm.ts'
import type { BootOptions, Hibernated, KindHost, SessionStart, Worker, WorkerKind } from './worker-kind.ts'
import { runsAsSupervisor } from '../spawn-identity.ts'
import type { Logger } from 'pino'
import type { Identity } from '../dispatcher.ts'
import { unreadSettings } from './kind-settings.ts'

const PROCESS_RUNTIME = fileURLToPath(import.meta.resolve('@sessiond/worker-sdk/process-runtime'))

export const processKind: WorkerKind = {
  name: 'process',
  hibernates: true,

  validate: (realm) => [...moduleRealmProblems(realm), ...childRealmProblems(realm), ...unreadSettings(realm)],

  check: checkChildRealm,

  boot: (realm: WorkerRealm, host: KindHost, { logger, onExit }: BootOptions) => bootProcess(realm, host, logger, onExit, true),

  async start (realm: WorkerRealm, host: KindHost, { identity, logger, onExit, resume }: SessionStart, spare?: Worker): Promise<Worker> {
    const worker = (spare as ChildWorker | undefined) ?? await bootProcess(realm, host, logger, onExit, false)
    const session = await childSession(realm, host, identity, reservations.get(worker))
    await worker.claim({ endpoint: session.endpoint, headers: [], logger, onExit, message: processClaim(realm, identity, session, resume), release: session.release, sdkErrors: true })
    return worker
  }
}

/** The transient account and directory a booted runtime will serve its session with. */
const reservations = new WeakMap<ChildWorker, Reserved>()

/**
 * The runtime up, without a session. A realm of transient uids takes its
 * uid and directory now, so that the runtime starts with its private /tmp
 * mounted; it switches to the uid itself once claimed.
 */
async function bootProcess (realm: WorkerRealm, host: KindHost, logger: Logger, onExit: (err: Error) => void, spare: boolean): Promise<ChildWorker> {
  const reserved = await reserveTransient(realm, host)
  const spawn: ChildSpawn = {
    argv: processArgv(realm),
    env: processEnv(realm, host.logLevel, spare),
    cwd: reserved?.dir ?? await host.runDir(),
    ipc: true,
    sandbox: { privateTmp: reserved !== undefined },
    ...(reserved && { release: reserved.release })
  }
  const worker = await ChildWorker.boot({ realm, spawn, registry: host.children, memory: host.memoryLimits, logger, onExit })
  if (reserved) reservations.set(worker, reserved)
  return worker
}

function processArgv (realm: WorkerRealm): string[] {
  const heap = realm.resourceLimits?.maxOldGenerationSizeMb
  return [process.execPath, ...(heap ? [`--max-old-space-size=${heap}`] : []), PROCESS_RUNTIME]
}

/** The runtime's environment: no session yet, so that it can wait as a spare. */
function processEnv (realm: WorkerRealm, logLevel: string, spare: boolean): Record<string, string> {
  return {
    ...childEnv(),
    SESSIOND_REALM: realm.name,
    SESSIOND_HANDLER: realm.handler ?? '',
    SESSIOND_LOG_LEVEL: logLevel,
    // Handler code runs before the account switch only when there is none.
    ...(runsAsSupervisor(realm.runAs) && { SESSIOND_PRELOAD: '1' }),
    // A spare warms its request path while it waits for a session.
    ...(spare && { SESSIOND_SPARE: '1' })
  }
}

/** What turns a booted process runtime into one session's worker. */
function processClaim (realm: WorkerRealm, identity: Identity, { view, storeUrl, account }: ChildSession, resume?: Hibernated): ProcessClaim {
  return {
    t: 'claim',
    // Over IPC, not in the spawn's environment: /proc/PID/environ of the runtime never holds them.
    env: { ...sessionEnv(identity, realm.name, view, storeUrl), SESSIOND_SESSION_HASH: sessionHash(identity.sessionId) },
    cwd: view.dir,
    // Started as root, the runtime itself drops to this account, keeping its
    // supplementary groups (a transient uid has none); dropping also makes it
    // non-dumpable, so that other processes of the same uid cannot read its memory.
    ...(account && { runAs: { ...(account.user !== undefined && { user: account.user }), uid: account.uid, gid: account.gid, home: account.home ?? view.dir } }),
    ...(resume && { resume })
  }
}
