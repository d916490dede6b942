import { parseArgs } from 'node:util'
import type { WorkerActionResult, WorkerInfo } from '@sessiond/supervisor'
import { controlRequest } from './control-client.ts'
import { DATA_DIR_OPTIONS, dataDirOf } from './data-dir.ts'
import { SESSIONS_USAGE, WORKERS_USAGE } from './commands.ts'

const API = '/_sessiond/admin/api/v1'

/** `sessiond stop`: the daemon stops as on SIGTERM (requests finish, workers hibernate). */
export async function stop (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: DATA_DIR_OPTIONS, strict: true })
  await controlRequest(dataDirOf(values), 'POST', '/_sessiond/control/stop')
  process.stdout.write('sessiond: stopping\n')
}

/** `sessiond reload`: the config file re-read, as on SIGHUP; prints what changed. */
export async function reload (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: DATA_DIR_OPTIONS, strict: true })
  const s = await controlRequest<{ file: string, added: string[], changed: string[], removed: string[], needsRestart: string[] }>(dataDirOf(values), 'POST', `${API}/reload`)
  const list = (xs: string[]) => xs.length > 0 ? xs.join(', ') : 'none'
  process.stdout.write(`reloaded ${s.file}: added ${list(s.added)}; changed ${list(s.changed)}; removed ${list(s.removed)}${s.needsRestart.length > 0 ? `; needs a restart: ${s.needsRestart.join(', ')}` : ''}\n`)
}

/** `sessiond workers stop USER [REALM]`: every worker of the user (in the realm), stopped without hibernating. */
export async function workers (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: DATA_DIR_OPTIONS, allowPositionals: true, strict: true })
  const [action, user, realm] = positionals
  if (action !== 'stop' || !user || positionals.length > 3) throw new Error(`usage: ${WORKERS_USAGE}`)
  const dataDir = dataDirOf(values)
  const q = new URLSearchParams({ user, limit: '1000', ...(realm !== undefined && { realm }) })
  const { workers: found } = await controlRequest<{ workers: WorkerInfo[] }>(dataDir, 'GET', `${API}/workers?${q}`)
  for (const w of found) {
    const r = await controlRequest<WorkerActionResult>(dataDir, 'POST', `${API}/workers/${encodeURIComponent(w.id)}/stop`)
    process.stdout.write(`stopped ${r.before.user}'s ${r.before.realm} worker (${r.before.state}, session ${r.before.session})\n`)
  }
  if (found.length === 0) process.stdout.write(`no workers of ${user}${realm === undefined ? '' : ` in ${realm}`}\n`)
}

/** `sessiond sessions end USER`: the user logged out everywhere. */
export async function sessions (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: DATA_DIR_OPTIONS, allowPositionals: true, strict: true })
  const [action, user] = positionals
  if (action !== 'end' || !user || positionals.length !== 2) throw new Error(`usage: ${SESSIONS_USAGE}`)
  const r = await controlRequest<{ ended: Array<{ id: string }> }>(dataDirOf(values), 'POST', `${API}/users/${encodeURIComponent(user)}/sessions/end`)
  process.stdout.write(`ended ${r.ended.length} session${r.ended.length === 1 ? '' : 's'} of ${user}\n`)
}
