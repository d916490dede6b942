import type { UserDirectory } from './user-directory.ts'

/** A realm's `allow` rule: these users, and the members of these groups. */
export interface RealmAllow {
  users?: readonly string[]
  groups?: readonly string[]
}

/**
 * Whether `user` may use a realm with this rule. No rule: everyone who
 * logged in. Groups come from the users file, which is re-read when it
 * changes, so taking a user out of a group takes effect on the next request;
 * with PAM, from the account's system groups (system-groups.ts).
 */
export async function realmAllows (allow: RealmAllow | undefined, user: string, users: UserDirectory): Promise<boolean> {
  if (!allow) return true
  if (allow.users?.includes(user)) return true
  if (!allow.groups || allow.groups.length === 0) return false
  const groups = await users.groups(user)
  return groups.some(g => allow.groups!.includes(g))
}
