// Benchmark: density (issue 10). N live sessions of one kind in one daemon,
// each with an idle worker, and the daemon's resident set (VmRSS) per idle
// session: from every session logged in with no worker, through a few
// checkpoints, to all N. For the kinds whose workers live in the daemon
// (thread, context): a process or exec worker's memory is its own process's
// (worker-kinds.ts measures those). The daemon runs with the compile cache
// on, as the CLI does by default.
//
// The machine is shared: before each batch of starts the bench checks
// MemAvailable and stops short of RESERVE, printing how far it got; the
// figure per session is then over the sessions it reached.
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { primedCompileCache } from './compile-cache.ts'
import type { CompileCache } from './compile-cache.ts'
import { SESSIOND_KINDS } from './kinds.ts'
import type { BenchOptions } from './options.ts'
import { MIB, vmRss } from './proc-memory.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { BenchRealm, SessiondDaemon } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'
import { fmt } from './stats.ts'
import type { SummaryRow } from './summary.ts'

/** Time for fresh workers to finish their start-up allocations before RSS is read. */
const SETTLE_MS = 3_000
/** First requests in flight at once while the sessions fill up. */
const START_CONCURRENCY = 4
const GIB = 1024 * MIB

async function memInfo (): Promise<{ total: number, available: number }> {
  const text = await readFile('/proc/meminfo', 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024
  return { total: kb('MemTotal'), available: kb('MemAvailable') }
}

/** What the bench leaves free for everyone else on the machine: a quarter of it, at least 4 GiB. */
async function reserveBytes (): Promise<number> {
  return Math.max(4 * GIB, (await memInfo()).total / 4)
}

export interface DensityPoint { sessions: number, rss: number }

export interface DensityResult {
  requested: number
  /** Sessions with a live worker at the end: `requested` unless memory ran short. */
  reached: number
  /** Why it stopped short, if it did. */
  stoppedBy?: string
  points: DensityPoint[]
  /** MiB per idle session from none to `reached`, and from the first checkpoint on (one-off costs left out). */
  perSessionMib: number
  marginalMib: number
  startSeconds: number
}

/**
 * Logs in `sessions` sessions on `daemon`, then gives each a worker in the
 * realm mounted at `mount` (its first GET /<mount>/), reading the daemon's
 * RSS at a few checkpoints. For any realm whose workers live in the daemon.
 */
export async function measureDensity (daemon: SessiondDaemon, mount: string, sessions: number): Promise<DensityResult> {
  const cookies = await loginMany(daemon.url, sessions)
  const reserve = await reserveBytes()
  const checkpoints = [...new Set([10, Math.round(sessions / 10), Math.round(sessions / 4), Math.round(sessions / 2), sessions])]
    .filter(n => n > 0 && n <= sessions).sort((a, b) => a - b)
  await sleep(SETTLE_MS)
  const points: DensityPoint[] = [{ sessions: 0, rss: await vmRss(daemon.pid) }]
  let started = 0
  let stoppedBy: string | undefined
  const t0 = performance.now()
  for (const target of checkpoints) {
    while (started < target && stoppedBy === undefined) {
      const { available } = await memInfo()
      if (available < reserve) {
        stoppedBy = `MemAvailable ${fmt(available / GIB, 1)} GiB fell under the ${fmt(reserve / GIB, 1)} GiB left for the rest of the machine`
        break
      }
      const batch = cookies.slice(started, Math.min(target, started + START_CONCURRENCY))
      try {
        await Promise.all(batch.map(c => getHello(daemon.url, c, mount)))
      } catch (err) {
        // The daemon's own limit (a thread it could not start, the process gone): the figure is over what it reached.
        stoppedBy = `a first request failed: ${(err as Error).message}${exitOf(daemon)}`
        break
      }
      started += batch.length
    }
    await sleep(SETTLE_MS)
    if (exitOf(daemon) !== '') {
      stoppedBy ??= `the daemon stopped${exitOf(daemon)}`
      break
    }
    points.push({ sessions: started, rss: await vmRss(daemon.pid) })
    print(`  ${String(started).padStart(6)} live sessions: daemon RSS ${fmt(points.at(-1)!.rss / MIB, 0)} MiB (${fmt((performance.now() - t0) / 1000, 0)} s)`)
    if (stoppedBy !== undefined) break
  }
  const first = points[0]
  const last = points.at(-1)!
  const mid = points.length > 2 ? points[1] : undefined
  return {
    requested: sessions,
    reached: started,
    stoppedBy,
    points,
    perSessionMib: (last.rss - first.rss) / last.sessions / MIB,
    marginalMib: mid ? (last.rss - mid.rss) / (last.sessions - mid.sessions) / MIB : Number.NaN,
    // Time spent starting workers, settles excluded.
    startSeconds: (performance.now() - t0) / 1000 - SETTLE_MS * (points.length - 1) / 1000
  }
}

async function densityOf (realm: BenchRealm, sessions: number, goalMib: number | undefined, cache: CompileCache): Promise<SummaryRow[]> {
  let daemon: SessiondDaemon | undefined
  try {
    daemon = await startSessiond({ realms: [realm], env: cache.env })
    print(`${realm.kind}: ${sessions} sessions on one daemon (pid ${daemon.pid}), realm /${realm.name}`)
    const r = await measureDensity(daemon, `/${realm.name}`, sessions)
    const verdict = goalMib === undefined ? '' : ` [goal ≤ ${goalMib} MiB: ${r.perSessionMib <= goalMib ? 'met' : 'not met'}]`
    const short = r.stoppedBy ? `; stopped at ${r.reached} of ${r.requested}: ${r.stoppedBy}` : ''
    print(`  RSS per idle ${realm.kind} session, 0 → ${r.reached}: ${fmt(r.perSessionMib)} MiB${verdict}; marginal ${r.points[1]?.sessions ?? 0} → ${r.reached}: ${fmt(r.marginalMib)} MiB; ${fmt(r.reached / r.startSeconds, 0)} first requests/s while filling${short}`)
    return [
      { benchmark: 'density', metric: `${realm.kind}: live sessions, daemon RSS (MiB)`, value: `${r.reached}, ${fmt(r.points.at(-1)!.rss / MIB, 0)}`, note: r.stoppedBy ? `of ${r.requested} asked: ${r.stoppedBy}` : `from ${fmt(r.points[0].rss / MIB, 0)} MiB with the sessions logged in and no worker` },
      { benchmark: 'density', metric: `${realm.kind}: RSS per idle session (MiB)`, value: fmt(r.perSessionMib), note: `marginal ${fmt(r.marginalMib)} MiB${verdict}` }
    ]
  } finally {
    await daemon?.stop()
  }
}

/** '' while the daemon runs; else how it ended, with the last thing it printed. */
function exitOf (daemon: SessiondDaemon): string {
  const { exitCode, signalCode } = daemon.child
  if (exitCode === null && signalCode === null) return ''
  return ` (the daemon exited with ${signalCode ?? exitCode}: ${daemon.tail().split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 600)})`
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const kinds = SESSIOND_KINDS.filter(k => k.densitySessions !== undefined)
  let cache: CompileCache | undefined
  try {
    cache = await primedCompileCache(kinds.map(k => k.realm))
    const rows: SummaryRow[] = []
    for (const k of kinds) rows.push(...await densityOf(k.realm, opts.densitySessions ?? k.densitySessions!, k.goals.idleMib, cache))
    return rows
  } finally {
    cache?.remove()
  }
}

export const density: Benchmark = {
  name: 'density',
  title: 'Density: live sessions on one daemon and the RSS per idle session',
  run
}

if (import.meta.main) await runAlone(density)
