import { randomBytes } from 'node:crypto'
import { InvalidGroupNameError, InvalidUserNameError, PasswordPolicyError, UnknownUserError, UserExistsError } from './errors.ts'
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, OWASP_COST, hashPassword, verifyPassword } from './password-hash.ts'
import type { HashCost } from './password-hash.ts'
import { JsonFileCache } from './json-file-cache.ts'
import type { UserDirectory } from './user-directory.ts'
import { ACCOUNT_NAME } from '@sessiond/supervisor'

export interface UserRecord {
  password: string
  groups?: string[]
}

interface FileShape { users: Record<string, UserRecord> }

/** POSIX-portable account names, so that a login can map to a system user. */

/** A group name as the users file keeps it, portable like the system's. */
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/

export function checkUserName (name: string): void {
  if (!ACCOUNT_NAME.test(name)) throw new InvalidUserNameError()
}

export function checkPassword (password: string): void {
  const n = Buffer.byteLength(password)
  if (n < MIN_PASSWORD_BYTES || n > MAX_PASSWORD_BYTES) throw new PasswordPolicyError(MIN_PASSWORD_BYTES, MAX_PASSWORD_BYTES)
}

/**
 * The users file: JSON, mode 0600, one scrypt hash per user. It is re-read
 * when it changes on disk, so `sessiond user add` takes effect on a running
 * daemon without a restart.
 */
export class UsersFile implements UserDirectory {
  readonly path: string
  readonly #file: JsonFileCache<FileShape>
  #users: Record<string, UserRecord> = {}
  // Unknown users are checked against this so that they cost the same time.
  #dummy: Promise<string> | null = null

  constructor (path: string) {
    this.path = path
    this.#file = new JsonFileCache<FileShape>(path, () => ({ users: {} }))
  }

  /** Computes the stand-in hash for unknown users ahead of the first login. */
  prepare (): Promise<string> {
    this.#dummy ??= hashPassword(randomBytes(16).toString('hex'))
    return this.#dummy
  }

  async #refresh (): Promise<void> {
    this.#users = (await this.#file.read()).users ?? {}
  }

  async has (name: string): Promise<boolean> {
    await this.#refresh()
    return Object.hasOwn(this.#users, name)
  }

  async groups (name: string): Promise<string[]> {
    await this.#refresh()
    return Object.hasOwn(this.#users, name) ? (this.#users[name].groups ?? []) : []
  }

  /** The user name when the password is right, else null; the same work either way. */
  async verify (name: string, password: string): Promise<string | null> {
    await this.#refresh()
    const known = ACCOUNT_NAME.test(name) && Object.hasOwn(this.#users, name)
    const hash = known ? this.#users[name].password : await this.prepare()
    const ok = await verifyPassword(password, hash)
    return ok && known ? name : null
  }

  /** Every user and their groups, by name. */
  async list (): Promise<Array<{ name: string, groups: string[] }>> {
    await this.#refresh()
    return Object.keys(this.#users).sort().map(name => ({ name, groups: [...(this.#users[name].groups ?? [])] }))
  }

  /** Removes the user; answers whether there was one. Their sessions go on until they end (`sessiond sessions end`). */
  async remove (name: string): Promise<boolean> {
    await this.#refresh()
    if (!Object.hasOwn(this.#users, name)) return false
    const users = { ...this.#users }
    delete users[name]
    await this.#write(users)
    return true
  }

  /** Sets the user's groups (the admin group among them, for the admin API); answers them. */
  async setGroups (name: string, groups: readonly string[]): Promise<string[]> {
    await this.#refresh()
    if (!Object.hasOwn(this.#users, name)) throw new UnknownUserError(name)
    for (const g of groups) if (!GROUP_NAME.test(g)) throw new InvalidGroupNameError(g)
    const sorted = [...new Set(groups)].sort()
    await this.#write({ ...this.#users, [name]: { ...this.#users[name], groups: sorted } })
    return sorted
  }

  async #write (users: Record<string, UserRecord>): Promise<void> {
    await this.#file.write({ users })
    this.#users = users
  }

  async add (name: string, password: string, { replace = false, cost = OWASP_COST }: { replace?: boolean, cost?: HashCost } = {}): Promise<void> {
    checkUserName(name)
    checkPassword(password)
    await this.#refresh()
    if (!replace && Object.hasOwn(this.#users, name)) throw new UserExistsError(name)
    await this.#write({ ...this.#users, [name]: { ...this.#users[name], password: await hashPassword(password, cost) } })
  }
}
