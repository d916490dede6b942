import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { text } from 'node:stream/consumers'
import { loadConfig } from '../config.ts'
import { UsersFile } from '../users-file.ts'
import { envOverrides } from './start.ts'

export const USER_USAGE = 'sessiond user add NAME --password-stdin [--replace] [--config FILE | --data DIR | --users FILE]'
export const USER_HELP = `${USER_USAGE}

Adds a user to the users file (scrypt hashes, mode 0600); a running daemon
sees the change at the next login. The password is read from stdin, never
from the command line. With users.source pam there is no users file: the
system's accounts are the users.

  --password-stdin   read the password from stdin (required)
  --replace          set the password of a user that exists
  -c, --config FILE  the users file of this config
  -d, --data DIR     DIR/users.json (default: ./.sessiond, or SESSIOND_DATA)
  --users FILE       this users file
  -h, --help         this text`

export async function user (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'password-stdin': { type: 'boolean' },
      replace: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      data: { type: 'string', short: 'd' },
      users: { type: 'string' }
    },
    allowPositionals: true,
    strict: true
  })
  const [action, name] = positionals
  if (action !== 'add' || !name || positionals.length !== 2) throw new Error(`usage: ${USER_USAGE}`)
  // Passwords never come from argv: it is visible to every user in ps.
  if (!values['password-stdin']) throw new Error(`--password-stdin is required: ${USER_USAGE}`)
  const password = (await text(process.stdin)).replace(/\r?\n$/, '')
  let file: string
  if (values.users) file = resolve(values.users)
  else if (values.config) {
    const { users } = loadConfig(values.config, { ...envOverrides(process.env), ...(values.data && { dataDir: values.data }) })
    if (users.source === 'pam') throw new Error(`${values.config} takes its users from PAM (users.source pam): add a system account instead (useradd, passwd)`)
    file = users.file
  }
  else file = join(resolve(values.data ?? process.env.SESSIOND_DATA ?? '.sessiond'), 'users.json')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 })
  await new UsersFile(file).add(name, password, { replace: values.replace ?? false })
  process.stdout.write(`user ${name} ${values.replace ? 'set' : 'added'} in ${file}\n`)
}
