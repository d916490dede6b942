import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { RunAsUnknownUserError } from './errors.ts'

const run = promisify(execFile)

/** The system account a worker runs as. */
export interface SpawnIdentity {
  user: string
  uid: number
  gid: number
  home: string
}

export type RunAs = 'session-user' | { user: string, group?: string }

const ACCOUNT = /^[a-z_][a-z0-9_.-]{0,31}$/

/** A field of `getent` output: NSS sources such as LDAP count, not only /etc/passwd. */
async function getent (db: 'passwd' | 'group', key: string): Promise<string[]> {
  const { stdout } = await run('getent', [db, key])
  return stdout.trim().split(':')
}

/**
 * Resolves a realm's `runAs` for one session. `session-user` maps the login
 * name to the system account of that name.
 */
export async function resolveSpawnIdentity (runAs: RunAs, loginName: string): Promise<SpawnIdentity> {
  const user = runAs === 'session-user' ? loginName : runAs.user
  if (!ACCOUNT.test(user)) throw new RunAsUnknownUserError(user)
  try {
    const [, , uid, gid, , home] = await getent('passwd', user)
    const group = typeof runAs === 'object' && runAs.group ? Number((await getent('group', runAs.group))[2]) : Number(gid)
    if (!Number.isInteger(Number(uid)) || !Number.isInteger(group)) throw new Error(`unreadable ids for ${user}`)
    return { user, uid: Number(uid), gid: group, home }
  } catch (err) {
    throw new RunAsUnknownUserError(user, { cause: err })
  }
}
