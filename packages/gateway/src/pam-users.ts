import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ConfigError, PamUnavailableError } from './errors.ts'
import { MAX_PASSWORD_BYTES } from './password-hash.ts'
import { SystemGroups } from './system-groups.ts'
import type { UserDirectory } from './user-directory.ts'
import { ACCOUNT_NAME } from '@sessiond/supervisor'

const run = promisify(execFile)

/** authenticate-pam's one function (it ships no types). */
type Authenticate = (user: string, password: string, done: (err?: string) => void, options?: { serviceName?: string, remoteHost?: string }) => void

/** POSIX-portable account names, as for the users file: anything else is no account of ours. */
/** authenticate-pam copies name and password into 128-byte C buffers: longer would be cut, not refused. */
const PAM_MAX_BYTES = 127
/**
 * Every verification answers no sooner than this after it began, right or
 * wrong, known name or not. pam_unix delays a failure by about 2 s by itself,
 * but a service configured with `nodelay` (or another module) may answer an
 * unknown name sooner than a wrong password, which would tell who exists.
 */
const FLOOR_MS = 250

export const PAM_DIR = '/etc/pam.d'

export function pamServiceFile (service: string): string {
  return join(PAM_DIR, service)
}

/** authenticate-pam, or a coded error saying what to install. */
export function loadPam (): Authenticate {
  try {
    return (createRequire(import.meta.url)('authenticate-pam') as { authenticate: Authenticate }).authenticate
  } catch (err) {
    throw new PamUnavailableError('the authenticate-pam addon is not built: install libpam0g-dev, g++ and make, then reinstall (node scripts/toolchain.mjs pnpm install)', { cause: err })
  }
}

/**
 * The system's own accounts as sessiond's users (`users: { source: pam }`):
 * a login is checked by PAM with the realm's service (/etc/pam.d/<service>),
 * so users log in with their system password, and `runAs: session-user`
 * runs their worker as that very account. Groups are the account's system
 * groups. pam_unix can check other accounts' passwords only for root (the
 * daemon must run as root, as runAs needs anyway).
 *
 * authenticate-pam runs pam_authenticate only, not the account stage
 * (pam_acct_mgmt): an expired account is refused here from its shadow
 * entry, as pam_unix's account stage would.
 */
export class PamUsers implements UserDirectory {
  readonly service: string
  readonly #groups = new SystemGroups()
  #authenticate: Authenticate | null = null

  readonly #configFile: string | undefined

  /** `configFile`: the config naming this service, for errors that say where to look. */
  constructor ({ service, configFile }: { service: string, configFile?: string }) {
    this.service = service
    this.#configFile = configFile
  }

  /** Loads the addon and checks that the service exists: start-up fails here, not at the first login. */
  async prepare (): Promise<void> {
    try {
      this.#authenticate ??= loadPam()
      if (!existsSync(pamServiceFile(this.service))) throw new PamUnavailableError(`no PAM service ${this.service}: ${pamServiceFile(this.service)} does not exist (see docs/accounts.md)`)
    } catch (err) {
      if (this.#configFile === undefined) throw err
      throw new ConfigError(`invalid config ${this.#configFile}:\n  /users/service: ${(err as Error).message}`, { cause: err })
    }
  }

  async verify (name: string, password: string): Promise<string | null> {
    const floor = sleep(FLOOR_MS)
    const ok = await this.#check(name, password).catch(() => false)
    await floor
    return ok ? name : null
  }

  async #check (name: string, password: string): Promise<boolean> {
    const authenticate = this.#authenticate ?? (this.#authenticate = loadPam())
    // A NUL would end the C string early and a long password would be cut: either way PAM would check another password.
    const usable = ACCOUNT_NAME.test(name) && !password.includes('\0') &&
      Buffer.byteLength(password) <= Math.min(PAM_MAX_BYTES, MAX_PASSWORD_BYTES)
    const right = await new Promise<boolean>((resolve) => {
      // An unusable name still goes through PAM (as a name no account has), so that it costs what any failure costs.
      authenticate(usable ? name : '_sessiond-no-such-user', usable ? password : '', (err) => resolve(err === undefined), { serviceName: this.service })
    })
    return right && usable && !(await expired(name))
  }

  groups (name: string): Promise<string[]> {
    return this.#groups.of(name)
  }
}

/** Whether the account's shadow entry says it has expired (field 8: days since the epoch). */
async function expired (name: string): Promise<boolean> {
  const { stdout } = await run('getent', ['shadow', name])
  const expire = stdout.trim().split(':')[7]
  return expire !== undefined && expire !== '' && Number(expire) * 86_400_000 <= Date.now()
}
