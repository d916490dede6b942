// Benchmark 1: HTTP throughput at 50 connections over 50 sessions.
//   A:  a bare Fastify hello world in one process, the limit of this stack;
//   B:  the sessiond gateway → a thread worker per session (50 workers);
//   B1: the same daemon with all 50 connections on one session (one worker
//       with 50 requests in flight): what the gateway and transport cost
//       without the thread-per-session fan-out. Not a goal, a diagnosis.
// wrk drives all with the same script (each request carries the next of the
// session cookies); the variants alternate A B B1 A B B1 … and the figure
// that counts is the median of the per-round ratios B/A.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { tempDir } from './cleanup.ts'
import { formatSelfTimes, summariseCpuProfiles } from './cpu-profile.ts'
import type { BenchOptions } from './options.ts'
import { perRequest, sampleProc } from './proc-stats.ts'
import type { PerRequest } from './proc-stats.ts'
import { startServerProcess } from './server-process.ts'
import type { ServerProcess } from './server-process.ts'
import { ROOT, startSessiond } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'
import { fmt, median } from './stats.ts'
import type { SummaryRow } from './summary.ts'
import { warmUp } from './warm-up.ts'
import { ensureWrk, runWrk } from './wrk.ts'
import type { WrkResult } from './wrk.ts'

const BARE_FASTIFY = fileURLToPath(new URL('./fixtures/bare-fastify.ts', import.meta.url))
/** The issue's bar and the project's goal for sessiond / bare Fastify. */
export const GOAL_ISSUE = 0.5
export const GOAL_PROJECT = 0.65

type Key = 'A' | 'B' | 'B1'
interface Variant { key: Key, name: string, url: string, pid: number, cookiesFile: string }
type Measured = WrkResult & { cpu: PerRequest | null }

function describe (r: Measured): string {
  const bad = r.errors + r.non2xx > 0 ? `  (!) ${r.errors} socket errors, ${r.non2xx} non-2xx` : ''
  const cpu = r.cpu
    ? `  | server CPU ${fmt(r.cpu.processCpuUs, 0).padStart(4)} µs/req; main thread ${fmt(r.cpu.mainRunUs, 0).padStart(3)} µs on CPU + ${fmt(r.cpu.mainWaitUs, 0).padStart(3)} µs waiting for one`
    : ''
  return `${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(6)} ms  p99 ${fmt(r.p99Ms).padStart(6)} ms${cpu}${bad}`
}

function verdictOf (ratio: number): string {
  if (ratio >= GOAL_PROJECT) return 'meets the project goal'
  if (ratio >= GOAL_ISSUE) return 'meets the issue bar, below the project goal'
  return 'below the issue bar'
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  ensureWrk()
  const dir = tempDir('http')
  const profileDir = join(ROOT, 'bench/results/profiles', `http-${Date.now()}`)
  let bare: ServerProcess | undefined
  let sessiond: ServerProcess | undefined
  try {
    bare = await startServerProcess('bare fastify', [BARE_FASTIFY], { cwd: dir.path })
    sessiond = await startSessiond({ nodeArgs: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] })
    print(`bare fastify ${bare.url} (pid ${bare.pid}), sessiond ${sessiond.url} (pid ${sessiond.pid})`)

    const cookies = await loginMany(sessiond.url, opts.sessions)
    // One request per session starts its worker and proves it answers; the bare server ignores the cookie.
    for (const c of cookies) await getHello(sessiond.url, c)
    await getHello(bare.url, cookies[0])
    const allCookies = join(dir.path, 'cookies.txt')
    const oneCookie = join(dir.path, 'one-cookie.txt')
    await writeFile(allCookies, cookies.join('\n') + '\n')
    await writeFile(oneCookie, cookies[0] + '\n')
    print(`${cookies.length} sessions logged in, ${cookies.length} workers started`)

    const variants: Variant[] = [
      { key: 'A', name: 'bare fastify', url: `${bare.url}/hello/`, pid: bare.pid, cookiesFile: allCookies },
      { key: 'B', name: `sessiond, ${cookies.length} sessions`, url: `${sessiond.url}/hello/`, pid: sessiond.pid, cookiesFile: allCookies },
      { key: 'B1', name: 'sessiond, 1 session', url: `${sessiond.url}/hello/`, pid: sessiond.pid, cookiesFile: oneCookie }
    ]
    const load = async (v: Variant, seconds: number): Promise<Measured> => {
      const before = await sampleProc(v.pid)
      const r = await runWrk({ url: v.url, seconds, connections: opts.sessions, cookiesFile: v.cookiesFile })
      return { ...r, cpu: perRequest(before, await sampleProc(v.pid), r.requests) }
    }
    for (const v of variants) {
      await warmUp(async s => (await load(v, s)).rps, { label: `${v.key} ${v.name}`, chunkSeconds: opts.warmupChunkSeconds, maxSeconds: opts.warmupMaxSeconds })
    }

    const results: Record<Key, Measured[]> = { A: [], B: [], B1: [] }
    const ratios: Record<'B' | 'B1', number[]> = { B: [], B1: [] }
    print(`\nwrk -t1 -c${opts.sessions}, ${opts.seconds} s per run, interleaved`)
    for (let round = 1; round <= opts.rounds; round++) {
      for (const v of variants) {
        const r = await load(v, opts.seconds)
        results[v.key].push(r)
        print(`round ${round} ${v.key.padEnd(2)} ${v.name.padEnd(22)} ${describe(r)}`)
      }
      const a = results.A[round - 1].rps
      ratios.B.push(results.B[round - 1].rps / a)
      ratios.B1.push(results.B1[round - 1].rps / a)
      print(`round ${round} B/A ${fmt(ratios.B.at(-1)!, 3)}  B1/A ${fmt(ratios.B1.at(-1)!, 3)}`)
    }

    const med = (k: Key, f: (r: Measured) => number) => median(results[k].map(f))
    const ratio = median(ratios.B)
    const verdict = verdictOf(ratio)
    print(`\nmedians over ${opts.rounds} rounds:`)
    for (const v of variants) {
      const cpu = results[v.key].every(r => r.cpu)
        ? `  server CPU ${fmt(med(v.key, r => r.cpu!.processCpuUs), 0)} µs/req; main thread ${fmt(med(v.key, r => r.cpu!.mainRunUs), 0)} µs on CPU + ${fmt(med(v.key, r => r.cpu!.mainWaitUs), 0)} µs waiting`
        : ''
      print(`  ${v.key.padEnd(2)} ${v.name.padEnd(22)} ${fmt(med(v.key, r => r.rps), 0).padStart(7)} req/s  p50 ${fmt(med(v.key, r => r.p50Ms))} ms  p99 ${fmt(med(v.key, r => r.p99Ms))} ms${cpu}`)
    }
    print(`  sessiond / bare fastify, B/A (median of per-round ratios): ${fmt(ratio, 3)}  [goal: ≥ ${GOAL_ISSUE} issue, ≥ ${GOAL_PROJECT} project] ${verdict}`)
    print(`  per-round B/A: ${ratios.B.map(r => fmt(r, 3)).join(', ')}`)
    print(`  one session, B1/A: ${fmt(median(ratios.B1), 3)} (per round: ${ratios.B1.map(r => fmt(r, 3)).join(', ')})`)

    const latency = (k: Key) => `${fmt(med(k, r => r.rps), 0)} (${fmt(med(k, r => r.p50Ms))} / ${fmt(med(k, r => r.p99Ms))})`
    const cpuNote = (k: Key) => results[k].every(r => r.cpu)
      ? `server CPU ${fmt(med(k, r => r.cpu!.processCpuUs), 0)} µs/req; main thread ${fmt(med(k, r => r.cpu!.mainRunUs), 0)} µs on CPU + ${fmt(med(k, r => r.cpu!.mainWaitUs), 0)} µs waiting for one`
      : ''
    const rows: SummaryRow[] = [
      { benchmark: 'http-throughput', metric: 'A bare fastify req/s (p50 / p99 ms)', value: latency('A'), note: `${opts.sessions} connections, median of ${opts.rounds} × ${opts.seconds} s; ${cpuNote('A')}` },
      { benchmark: 'http-throughput', metric: `B sessiond, ${opts.sessions} sessions req/s (p50 / p99 ms)`, value: latency('B'), note: `${opts.sessions} workers; ${cpuNote('B')}` },
      { benchmark: 'http-throughput', metric: 'B/A throughput (median of rounds)', value: fmt(ratio, 3), note: `goal ≥ ${GOAL_ISSUE} (issue), ≥ ${GOAL_PROJECT} (project): ${verdict}` },
      { benchmark: 'http-throughput', metric: 'B1 sessiond, 1 session req/s (p50 / p99 ms)', value: latency('B1'), note: `1 worker, ${opts.sessions} in flight; ${cpuNote('B1')}` },
      { benchmark: 'http-throughput', metric: 'B1/A throughput (median of rounds)', value: fmt(median(ratios.B1), 3), note: 'diagnosis: the same load on one worker' }
    ]

    if (opts.cpuProf) {
      // The profile is written when the daemon exits.
      await sessiond.stop()
      const p = await summariseCpuProfiles(profileDir)
      print(`\ndaemon CPU profile (${profileDir}): the whole run, logins, worker starts and idle A rounds included`)
      print(`main thread, busy ${fmt(p.mainBusyMs, 0)} ms, top self time:\n${formatSelfTimes(p.main)}`)
      if (p.workerFiles > 0) print(`${p.workerFiles} worker threads together, busy ${fmt(p.workersBusyMs, 0)} ms, top self time:\n${formatSelfTimes(p.workers)}`)
      rows.push({ benchmark: 'http-throughput', metric: 'daemon main-thread top self time', value: p.main[0] ? `${(p.main[0].share * 100).toFixed(1)} %` : 'n/a', note: p.main[0]?.name ?? '' })
    }
    return rows
  } finally {
    await Promise.allSettled([bare?.stop(), sessiond?.stop()])
    dir.remove()
  }
}

export const httpThroughput: Benchmark = {
  name: 'http-throughput',
  title: 'HTTP throughput: bare Fastify (A) vs sessiond gateway → thread worker (B)',
  run
}

if (import.meta.main) await runAlone(httpThroughput)
