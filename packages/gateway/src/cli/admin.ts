import { mkdir } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { AdminTokens, adminTokensFile } from '../admin/admin-tokens.ts'
import type { AdminScope } from '../admin/admin-tokens.ts'
import { DATA_DIR_OPTIONS, dataDirOf } from './data-dir.ts'
import { ADMIN_USAGE } from './commands.ts'

/** `sessiond admin token create|list|revoke`: bearer tokens for the admin API, stored as hashes in the data directory. */
export async function admin (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...DATA_DIR_OPTIONS, scope: { type: 'string' } }, allowPositionals: true, strict: true })
  const [what, action, name] = positionals
  if (what !== 'token' || !['create', 'list', 'revoke'].includes(action ?? '')) throw new Error(`usage: ${ADMIN_USAGE}`)
  const dataDir = dataDirOf(values)
  const tokens = new AdminTokens(adminTokensFile(dataDir))
  if (action === 'list') {
    for (const t of await tokens.list()) process.stdout.write(`${t.name}\t${t.scope}\t${new Date(t.createdAt).toISOString()}\n`)
    return
  }
  if (!name || positionals.length !== 3) throw new Error(`usage: ${ADMIN_USAGE}`)
  if (action === 'revoke') {
    if (!await tokens.revoke(name)) throw new Error(`no token named ${name}`)
    process.stdout.write(`token ${name} revoked\n`)
    return
  }
  const scope = values.scope ?? 'read'
  if (scope !== 'read' && scope !== 'act') throw new Error(`--scope: expected read or act, got ${scope}`)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const token = await tokens.create(name, scope as AdminScope)
  // The only time the token is seen: the file keeps its hash.
  process.stdout.write(`${token}\n`)
  process.stderr.write(`token ${name} (${scope}) created; it is shown once: send it as "Authorization: Bearer <token>"\n`)
}
