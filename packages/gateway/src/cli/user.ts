import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { text } from 'node:stream/consumers'
import { loadConfig } from '../config.ts'
import { UsersFile } from '../users-file.ts'
import { envOverrides } from './env-overrides.ts'
import { USER_USAGE } from './commands.ts'

/** The users file a command means: --users, the config's, or DATA/users.json. */
function usersFileOf (values: { users?: string, config?: string, data?: string }): string {
  if (values.users) return resolve(values.users)
  if (values.config) {
    const { users } = loadConfig(values.config, { ...envOverrides(process.env), ...(values.data && { dataDir: values.data }) })
    if (users.source === 'pam') throw new Error(`${values.config} takes its users from PAM (users.source pam): manage system accounts and groups instead (useradd, passwd, usermod -aG)`)
    return users.file
  }
  return join(resolve(values.data ?? process.env.SESSIOND_DATA ?? '.sessiond'), 'users.json')
}

export async function user (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'password-stdin': { type: 'boolean' },
      replace: { type: 'boolean' },
      group: { type: 'string', short: 'g', multiple: true },
      add: { type: 'string', multiple: true },
      remove: { type: 'string', multiple: true },
      set: { type: 'string' },
      config: { type: 'string', short: 'c' },
      data: { type: 'string', short: 'd' },
      users: { type: 'string' }
    },
    allowPositionals: true,
    strict: true
  })
  const [action, name] = positionals
  const file = usersFileOf(values)
  const users = new UsersFile(file)
  const out = (line: string): void => { process.stdout.write(line + '\n') }
  switch (action) {
    case 'add': {
      if (!name || positionals.length !== 2) throw new Error(`usage: ${USER_USAGE}`)
      // Passwords never come from argv: it is visible to every user in ps.
      if (!values['password-stdin']) throw new Error(`--password-stdin is required: ${USER_USAGE}`)
      const password = (await text(process.stdin)).replace(/\r?\n$/, '')
      await mkdir(dirname(file), { recursive: true, mode: 0o700 })
      await users.add(name, password, { replace: values.replace ?? false })
      if (values.group) await users.setGroups(name, values.group)
      return out(`user ${name} ${values.replace ? 'set' : 'added'} in ${file}`)
    }
    case 'list': {
      if (positionals.length !== 1) throw new Error(`usage: ${USER_USAGE}`)
      for (const u of await users.list()) out(`${u.name}\t${u.groups.join(',')}`)
      return
    }
    case 'remove': {
      if (!name || positionals.length !== 2) throw new Error(`usage: ${USER_USAGE}`)
      if (!await users.remove(name)) throw new Error(`no user ${name} in ${file}`)
      return out(`user ${name} removed from ${file} (their open sessions go on until they end: sessiond sessions end ${name})`)
    }
    case 'groups': {
      if (!name || positionals.length !== 2) throw new Error(`usage: ${USER_USAGE}`)
      const now = (await users.list()).find(u => u.name === name)
      if (!now) throw new Error(`no user ${name} in ${file}`)
      let groups = values.set !== undefined ? values.set.split(',').map(g => g.trim()).filter(Boolean) : now.groups
      groups = [...groups, ...(values.add ?? [])].filter(g => !(values.remove ?? []).includes(g))
      const changed = values.set !== undefined || values.add !== undefined || values.remove !== undefined
      return out(`${name}\t${(changed ? await users.setGroups(name, groups) : now.groups).join(',')}`)
    }
    default:
      throw new Error(`usage: ${USER_USAGE}`)
  }
}
