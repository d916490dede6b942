import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { RealmConfig } from './config.ts'
import type { UsersFile } from './users-file.ts'

const run = promisify(execFile)

/**
 * The demo config's user: created on first start with a random password.
 * The password is kept (mode 0600) in the data directory so that every
 * `npm start` can print the demo login; delete the file to stop that.
 * Run as root with a realm that runs as the session's user, the demo user
 * also needs a system account of its name, or that realm answers 403: one
 * is made (a system account without home or shell), and said so.
 */
export async function ensureDemoUser (users: UsersFile, name: string, dataDir: string, realms: readonly RealmConfig[] = []): Promise<{ user: string, password: string | null, account?: string }> {
  const account = realms.some(r => r.runAs === 'session-user') ? await ensureSystemAccount(name) : undefined
  const file = join(dataDir, 'demo-login')
  if (!(await users.has(name))) {
    const password = randomBytes(12).toString('base64url')
    await users.add(name, password)
    await writeFile(file, password + '\n', { mode: 0o600 })
    return { user: name, password, account }
  }
  try {
    return { user: name, password: (await readFile(file, 'utf8')).trim(), account }
  } catch {
    // The demo password was removed by its owner: we no longer know it.
    return { user: name, password: null, account }
  }
}

/** The account's description: found, or made now. runAs only happens as root, so neither is tried otherwise. */
async function ensureSystemAccount (name: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined
  try {
    await run('id', ['-u', '--', name])
    return `system account ${name}`
  } catch {
    // No such account yet: make it below.
  }
  try {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--comment', 'sessiond demo', '--', name])
  } catch (err) {
    // Another daemon starting the demo at the same moment may have made it first: that one will do.
    await run('id', ['-u', '--', name]).catch(() => { throw err })
    return `system account ${name}`
  }
  return `system account ${name} (made now, for runAs: session-user)`
}
