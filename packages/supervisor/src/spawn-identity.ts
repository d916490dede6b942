import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ACCOUNT_NAME } from './account-name.ts'
import { RunAsUnknownUserError } from './errors.ts'
import type { TransientAccount, TransientAccounts } from './transient-accounts.ts'

const run = promisify(execFile)

/** The account a child worker runs as. */
export interface SpawnIdentity {
  /** The account's name; none for a transient uid, which has no supplementary groups. */
  user?: string
  uid: number
  gid: number
  /** Its home; for a transient uid, its private directory (set once that exists). */
  home?: string
  /** Set for a transient uid: gives it back once the worker is gone. */
  transient?: TransientAccount
}

/** A realm's `runAs`: the login's own account, a uid of its own per worker, or one fixed account. */
export type RunAs = 'session-user' | 'transient' | { user: string, group?: string }


/**
 * Who a worker of the realm runs as on this host. A supervisor running as
 * root never runs a worker as root unless the realm names root itself:
 * without `runAs`, each worker gets a transient uid of its own.
 */
export function effectiveRunAs (runAs: RunAs | undefined, root = process.getuid?.() === 0): RunAs | undefined {
  return runAs ?? (root ? 'transient' : undefined)
}

/** Whether a worker runs as the supervisor's own account: its handler may then load before the claim. */
export function runsAsSupervisor (runAs: RunAs | undefined, root = process.getuid?.() === 0): boolean {
  const effective = effectiveRunAs(runAs, root)
  return effective === undefined || (root && typeof effective === 'object' && effective.user === 'root' && effective.group === undefined)
}

/** Whether every worker of the realm runs as an account no other session's worker shares. */
export function ownAccountPerSession (runAs: RunAs | undefined): boolean {
  return runAs === 'session-user' || runAs === 'transient'
}

/** A field of `getent` output: NSS sources such as LDAP count, not only /etc/passwd. */
async function getent (db: 'passwd' | 'group', key: string): Promise<string[]> {
  const { stdout } = await run('getent', [db, key])
  return stdout.trim().split(':')
}

/**
 * Resolves a realm's `runAs` for one session. `session-user` maps the login
 * name to the system account of that name; `transient` leases a uid.
 */
export async function resolveSpawnIdentity (runAs: RunAs, loginName: string, transients: TransientAccounts): Promise<SpawnIdentity> {
  if (runAs === 'transient') {
    const transient = await transients.lease()
    return { uid: transient.uid, gid: transient.gid, transient }
  }
  const user = runAs === 'session-user' ? loginName : runAs.user
  if (!ACCOUNT_NAME.test(user)) throw new RunAsUnknownUserError(user)
  try {
    const [, , uid, gid, , home] = await getent('passwd', user)
    const group = typeof runAs === 'object' && runAs.group ? Number((await getent('group', runAs.group))[2]) : Number(gid)
    if (!Number.isInteger(Number(uid)) || !Number.isInteger(group)) throw new Error(`unreadable ids for ${user}`)
    return { user, uid: Number(uid), gid: group, home }
  } catch (err) {
    throw new RunAsUnknownUserError(user, { cause: err })
  }
}
