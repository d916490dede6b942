import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { text } from 'node:stream/consumers'
import { loadConfig } from '../config.ts'
import { UsersFile } from '../users-file.ts'
import { envOverrides } from './env-overrides.ts'
import { USER_USAGE } from './commands.ts'


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
