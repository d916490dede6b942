import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { UsersFile } from './users-file.ts'

/**
 * The demo config's user: created on first start with a random password.
 * The password is kept (mode 0600) in the data directory so that every
 * `npm start` can print the demo login; delete the file to stop that.
 */
export async function ensureDemoUser (users: UsersFile, name: string, dataDir: string): Promise<{ user: string, password: string | null }> {
  const file = join(dataDir, 'demo-login')
  if (!(await users.has(name))) {
    const password = randomBytes(12).toString('base64url')
    await users.add(name, password)
    await writeFile(file, password + '\n', { mode: 0o600 })
    return { user: name, password }
  }
  try {
    return { user: name, password: (await readFile(file, 'utf8')).trim() }
  } catch {
    // The demo password was removed by its owner: we no longer know it.
    return { user: name, password: null }
  }
}
