import { stat } from 'node:fs/promises'
import type { Config } from './config.ts'
import { PamUsers, pamServiceFile } from './pam-users.ts'
import type { UserDirectory } from './user-directory.ts'
import { UsersFile } from './users-file.ts'

/** The user directory a config names: the users file (`users.source: file`, the default) or PAM. */
export function openUserDirectory ({ users, file }: Pick<Config, 'users' | 'file'>): UserDirectory {
  return users.source === 'pam' ? new PamUsers({ service: users.service, configFile: file }) : new UsersFile(users.file)
}

/** For `sessiond check`: where users come from, or a config error saying what is missing. */
export async function checkUserSource (config: Config): Promise<string> {
  const { users } = config
  if (users.source === 'pam') {
    await new PamUsers({ service: users.service, configFile: config.file }).prepare()
    return `PAM service ${users.service} (${pamServiceFile(users.service)}): the system's accounts`
  }
  const present = await stat(users.file).then(() => true, () => false)
  return `file ${users.file}${present ? '' : ' (not there yet: sessiond user add makes it)'}`
}
