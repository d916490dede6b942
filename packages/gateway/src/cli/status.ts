import { parseArgs } from 'node:util'
import type { SupervisorStatus, WorkerInfo } from '@sessiond/supervisor'
import { controlRequest } from './control-client.ts'
import { DATA_DIR_OPTIONS, dataDirOf } from './data-dir.ts'

const API = '/_sessiond/admin/api/v1'

function age (ms: number | null, now: number): string {
  if (ms === null) return '-'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`
}

function mib (bytes: number | null): string {
  return bytes === null ? '-' : `${(bytes / 1048576).toFixed(1)}M`
}

function table (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** `sessiond status`: what passenger-status prints, per realm, from the running daemon over its control socket. */
export async function status (argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { ...DATA_DIR_OPTIONS, json: { type: 'boolean' } }, strict: true })
  const dataDir = dataDirOf(values)
  const [st, { workers }] = await Promise.all([
    controlRequest<SupervisorStatus & { sessions: number }>(dataDir, 'GET', `${API}/status`),
    controlRequest<{ workers: WorkerInfo[] }>(dataDir, 'GET', `${API}/workers?limit=1000`)
  ])
  if (values.json) {
    process.stdout.write(JSON.stringify({ startedAt: st.startedAt, sessions: st.sessions, realms: st.realms, workers }, null, 2) + '\n')
    return
  }
  const now = Date.now()
  const out: string[] = [`sessiond: up ${age(st.startedAt, now)}, ${st.sessions} session${st.sessions === 1 ? '' : 's'}, ${workers.length} worker slot${workers.length === 1 ? '' : 's'}`]
  for (const r of st.realms) {
    const counts = Object.entries(r.workers).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ') || 'no workers'
    out.push('', `realm ${r.name} (${r.kind}): ${counts}; queued ${r.queued}${r.maxWorkers === null ? '' : `; max ${r.maxWorkers} (peak ${r.counts.peakWorkers})`}`)
    const mine = workers.filter(w => w.realm === r.name)
    if (mine.length === 0) continue
    out.push(table([
      ['PID/THREAD', 'USER', 'STATE', 'AGE', 'LAST', 'REQUESTS', 'IN FLIGHT', 'RSS', 'SESSION'],
      ...mine.map(w => [
        w.pid !== null ? `pid ${w.pid}` : w.threadId !== null ? `thread ${w.threadId}` : '-',
        w.user, w.state, age(w.startedAt, now), age(w.lastActivity, now), String(w.requests), `${w.inFlight}+${w.queued}`,
        w.rssBytes !== null ? mib(w.rssBytes) : w.heapUsedBytes !== null ? `${mib(w.heapUsedBytes)} heap` : '-', w.session
      ])
    ]).split('\n').map(l => '  ' + l).join('\n'))
  }
  const rss = workers.reduce((n, w) => n + (w.rssBytes ?? 0), 0)
  const inFlight = workers.reduce((n, w) => n + w.inFlight, 0)
  out.push('', `total: ${workers.length} workers, ${inFlight} requests in flight, ${mib(rss)} resident in child workers`)
  process.stdout.write(out.join('\n') + '\n')
}
