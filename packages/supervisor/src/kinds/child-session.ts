import { basename, join } from 'node:path'
import type { WorkerRealm } from '../config.ts'
import type { Identity } from '../dispatcher.ts'
import { RunAsNeedsRootError } from '../errors.ts'
import { effectiveRunAs, ownAccountPerSession, resolveSpawnIdentity } from '../spawn-identity.ts'
import type { SpawnIdentity } from '../spawn-identity.ts'
import { createPrivateDir, endpointIn, removePrivateDir } from '../worker-endpoint.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import { PRIVATE_TMP_VIEW } from './child-sandbox.ts'
import type { KindHost } from './worker-kind.ts'

function viewFrom (endpoint: WorkerEndpoint, dir: string): WorkerEndpoint {
  return endpoint.kind === 'unix' ? { ...endpoint, dir, socketPath: join(dir, basename(endpoint.socketPath)) } : { ...endpoint, dir }
}

/** What a child worker of one session needs before it is spawned or claimed. */
export interface ChildSession {
  /** The account it runs as, when it is not the supervisor's own. */
  account: SpawnIdentity | undefined
  endpoint: WorkerEndpoint
  /** The endpoint as the worker sees it: with a private /tmp, its directory is /tmp. */
  view: WorkerEndpoint
  /** Whether its private directory is mounted over /tmp (transient uids). */
  privateTmp: boolean
  storeUrl: string | undefined
  /** Gives back what the session's worker held (its transient uid): once the worker is gone. */
  release: () => Promise<void>
}

/**
 * The account, the private directory (owned by that account) with the
 * endpoint in it, and the store URL of one session's child worker. With a
 * transient uid, the private directory is the account's home too.
 */
export async function childSession (realm: WorkerRealm, host: KindHost, identity: Identity, reserved?: Reserved): Promise<ChildSession> {
  const runAs = effectiveRunAs(realm.runAs)
  const account = reserved?.account ?? (runAs ? await resolveSpawnIdentity(runAs, identity.user, host.transientAccounts) : undefined)
  let dir: string
  try {
    dir = reserved?.dir ?? await createPrivateDir(await host.runDir(), account)
  } catch (err) {
    await account?.transient?.release()
    throw err
  }
  const privateTmp = account?.transient !== undefined
  if (privateTmp) account!.home = PRIVATE_TMP_VIEW
  const endpoint = await endpointIn(dir, realm.listen)
  const access = host.storeAccess(identity.sessionId)
  return {
    account,
    endpoint,
    view: privateTmp ? viewFrom(endpoint, PRIVATE_TMP_VIEW) : endpoint,
    privateTmp,
    storeUrl: access?.url,
    release: async () => {
      access?.release()
      if (!reserved) await releaseAll(account)
    }
  }
}

/** A transient account and its private directory, taken when a worker boots ahead of its session. */
export interface Reserved {
  account: SpawnIdentity
  dir: string
  release: () => Promise<void>
}

/** For a realm whose workers get transient uids: the account and directory a spare will serve its session with. */
export async function reserveTransient (realm: WorkerRealm, host: KindHost): Promise<Reserved | undefined> {
  if (effectiveRunAs(realm.runAs) !== 'transient') return undefined
  const account = await resolveSpawnIdentity('transient', '', host.transientAccounts)
  const dir = await createPrivateDir(await host.runDir(), account).catch(async (err: unknown) => {
    await releaseAll(account)
    throw err
  })
  account.home = PRIVATE_TMP_VIEW
  return { account, dir, release: async () => { await releaseAll(account); await removePrivateDir(dir) } }
}

async function releaseAll (account: SpawnIdentity | undefined): Promise<void> {
  await account?.transient?.release()
}

/** Switching accounts needs root: refused at start rather than at a session's first request. */
export function checkChildRealm (realm: WorkerRealm): void {
  if (realm.runAs !== undefined && process.getuid?.() !== 0) throw new RunAsNeedsRootError(realm.name)
}

/** Config problems shared by the child kinds. */
export function childRealmProblems (realm: WorkerRealm): Array<[string, string]> {
  // A loopback port is open to every local process: only a realm whose workers share one account
  // (and so one trust domain anyway) may use it.
  if (realm.listen === 'port' && ownAccountPerSession(effectiveRunAs(realm.runAs))) {
    return [['listen', `unix when each worker runs as an account of its own (runAs ${realm.runAs === undefined ? 'transient, the default of a root supervisor' : JSON.stringify(realm.runAs)}): a loopback port would let every local process reach every session's worker`]]
  }
  return []
}
