// Benchmark 3: what an idle worker costs in memory. The daemon's resident
// set (VmRSS from /proc/<pid>/status) with every session logged in but no
// worker, then with 10 and with N idle workers. Two daemons side by side:
// one with Node's compile cache off, and one with it on, as the CLI runs by
// default (see compile-cache.ts), whose worker threads need not load the
// TypeScript stripper.
import { setTimeout as sleep } from 'node:timers/promises'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { compileCacheVariants, primedCompileCache } from './compile-cache.ts'
import type { CompileCache } from './compile-cache.ts'
import type { BenchOptions } from './options.ts'
import { MIB, vmRss } from './proc-memory.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { SessiondDaemon } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'
import { fmt } from './stats.ts'
import type { SummaryRow } from './summary.ts'

/** Time for freshly started threads to finish their start-up allocations. */
const SETTLE_MS = 3_000

interface Subject {
  label: string
  daemon: SessiondDaemon
  cookies: string[]
  points: Array<{ workers: number, rss: number }>
}

interface Figures { first: number, last: number, workers: number, perWorker: number, marginal: number, midWorkers: number }

function figures (s: Subject): Figures {
  const first = s.points[0]
  const last = s.points[s.points.length - 1]
  const mid = s.points.length > 2 ? s.points[1] : null
  return {
    first: first.rss / MIB,
    last: last.rss / MIB,
    workers: last.workers,
    perWorker: (last.rss - first.rss) / last.workers / MIB,
    marginal: mid ? (last.rss - mid.rss) / (last.workers - mid.workers) / MIB : Number.NaN,
    midWorkers: mid?.workers ?? 0
  }
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const subjects: Subject[] = []
  let cache: CompileCache | undefined
  try {
    cache = await primedCompileCache()
    const n = opts.rssWorkers
    for (const { label, env } of compileCacheVariants(cache)) {
      const daemon = await startSessiond({ env })
      subjects.push({ label, daemon, cookies: await loginMany(daemon.url, n), points: [] })
    }
    await sleep(SETTLE_MS)
    for (const s of subjects) s.points.push({ workers: 0, rss: await vmRss(s.daemon.pid) })
    let started = 0
    for (const target of [...new Set([Math.min(10, n), n])]) {
      // The two daemons start their workers in turns, so that both see the same machine.
      for (; started < target; started++) for (const s of subjects) await getHello(s.daemon.url, s.cookies[started])
      await sleep(SETTLE_MS)
      for (const s of subjects) s.points.push({ workers: target, rss: await vmRss(s.daemon.pid) })
    }

    const rows: SummaryRow[] = []
    for (const s of subjects) {
      const f = figures(s)
      print(`${s.label}: ${s.points.map(p => `${p.workers} workers ${fmt(p.rss / MIB, 1)} MiB`).join(', ')}`)
      print(`${''.padEnd(s.label.length)}  per idle worker 0 → ${f.workers}: ${fmt(f.perWorker)} MiB` +
        (f.midWorkers ? `; marginal ${f.midWorkers} → ${f.workers}: ${fmt(f.marginal)} MiB` : ''))
      rows.push({
        benchmark: 'worker-rss',
        metric: `${s.label}: daemon RSS 0 → ${f.workers} idle workers (MiB)`,
        value: `${fmt(f.first, 1)} → ${fmt(f.last, 1)}`,
        note: `${n} sessions logged in throughout`
      }, {
        benchmark: 'worker-rss',
        metric: `${s.label}: RSS per idle worker (MiB)`,
        value: fmt(f.perWorker),
        note: f.midWorkers ? `marginal ${f.midWorkers} → ${f.workers}: ${fmt(f.marginal)} MiB` : ''
      })
    }
    return rows
  } finally {
    await Promise.allSettled(subjects.map(s => s.daemon.stop()))
    cache?.remove()
  }
}

export const workerRss: Benchmark = {
  name: 'worker-rss',
  title: 'Memory: daemon RSS per idle worker',
  run
}

if (import.meta.main) await runAlone(workerRss)
