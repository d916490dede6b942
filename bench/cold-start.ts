// Benchmark 2: the first request of a freshly logged-in session, which
// starts that session's worker (a piscina pool, a thread, the worker
// runtime and the handler imported, TypeScript stripped), against warm
// requests. Sessions go one after the other on one keep-alive connection
// per daemon, so every figure is latency on an otherwise idle daemon.
//
// Two daemons take turns, session by session: one with Node's on-disk
// compile cache off, and one with it on (NODE_COMPILE_CACHE, primed by an
// earlier run), as the CLI runs by default (module.enableCompileCache()):
// it measures how much of a cold start is compiling code.
import { Client } from 'undici'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { compileCacheVariants, primedCompileCache } from './compile-cache.ts'
import type { CompileCache } from './compile-cache.ts'
import type { BenchOptions } from './options.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { SessiondDaemon, SessiondOptions } from './sessiond-daemon.ts'
import { loginMany, timedGet } from './sessions.ts'
import { fmt, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'

/** Requests right after the first, on the still fresh (unoptimised) worker. */
const YOUNG_PER_SESSION = 10
/** Requests to one worker before its latency counts as steady. */
const STEADY_WARMUP = 2_000
const STEADY_SAMPLES = 1_000

interface Target {
  label: string
  daemon: SessiondDaemon
  client: Client
  cookies: string[]
  cold: number[]
  young: number[]
}

async function target (label: string, n: number, opts: SessiondOptions, started: SessiondDaemon[]): Promise<Target> {
  const daemon = await startSessiond(opts)
  started.push(daemon)
  const client = new Client(daemon.url, { pipelining: 1 })
  // Log in every session first: login itself starts no worker.
  const cookies = await loginMany(daemon.url, n)
  // Warm the gateway's own code paths without starting a worker.
  for (let i = 0; i < 50; i++) await (await client.request({ method: 'GET', path: '/healthz' })).body.dump()
  return { label, daemon, client, cookies, cold: [], young: [] }
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const daemons: SessiondDaemon[] = []
  const targets: Target[] = []
  let cache: CompileCache | undefined
  try {
    cache = await primedCompileCache()
    const n = opts.coldSessions
    for (const { label, env } of compileCacheVariants(cache)) targets.push(await target(label, n, { env }, daemons))

    for (let i = 0; i < n; i++) {
      // Alternate which daemon goes first, so that neither always follows the other's spawn.
      for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
        const cookie = t.cookies[i]
        t.cold.push(await timedGet(t.client, '/hello/', cookie))
        for (let k = 0; k < YOUNG_PER_SESSION; k++) t.young.push(await timedGet(t.client, '/hello/', cookie))
      }
    }
    // Steady state: one worker of the first daemon (the cache off) after thousands of requests.
    const main = targets[0]
    for (let k = 0; k < STEADY_WARMUP; k++) await timedGet(main.client, '/hello/', main.cookies[0])
    const steady: number[] = []
    for (let k = 0; k < STEADY_SAMPLES; k++) steady.push(await timedGet(main.client, '/hello/', main.cookies[0]))
    const steady50 = percentile(steady, 50)

    print(`${n} sessions per daemon, one after the other, the two daemons taking turns;`)
    print(`after each first request, ${YOUNG_PER_SESSION} more to the same fresh worker; steady = one worker after ${STEADY_WARMUP} requests\n`)
    for (const t of targets) {
      print(`${t.label.padEnd(18)} first request (starts the worker): p50 ${fmt(percentile(t.cold, 50)).padStart(7)} ms  p99 ${fmt(percentile(t.cold, 99)).padStart(7)} ms  min ${fmt(Math.min(...t.cold))} ms`)
      print(`${''.padEnd(18)} next ${YOUNG_PER_SESSION} on the fresh worker:         p50 ${fmt(percentile(t.young, 50), 3).padStart(7)} ms  p99 ${fmt(percentile(t.young, 99), 3).padStart(7)} ms`)
      print(`${''.padEnd(18)} cold samples (ms): ${t.cold.map(x => fmt(x, 0)).join(' ')}`)
    }
    const [uncached, cached] = targets
    const cold50 = percentile(uncached.cold, 50)
    print(`\nsteady warm request (compile cache off): p50 ${fmt(steady50, 3)} ms  p99 ${fmt(percentile(steady, 99), 3)} ms`)
    print(`cold p50 / steady warm p50: ${fmt(cold50 / steady50, 0)}×; with the compile cache the cold p50 is ${fmt(percentile(cached.cold, 50) / cold50, 2)} of the one without`)
    return [
      { benchmark: 'cold-start', metric: 'first request of a session, compile cache off, p50 / p99 (ms)', value: `${fmt(cold50)} / ${fmt(percentile(uncached.cold, 99))}`, note: `${n} sessions in sequence; p99 ≈ max at this count` },
      { benchmark: 'cold-start', metric: `next ${YOUNG_PER_SESSION} requests to the fresh worker, compile cache off, p50 (ms)`, value: fmt(percentile(uncached.young, 50), 3), note: 'its code not yet optimised' },
      { benchmark: 'cold-start', metric: 'steady warm request, compile cache off, p50 (ms)', value: fmt(steady50, 3), note: `cold p50 is ${fmt(cold50 / steady50, 0)}× this` },
      { benchmark: 'cold-start', metric: 'first request, compile cache on (default) p50 / p99 (ms)', value: `${fmt(percentile(cached.cold, 50))} / ${fmt(percentile(cached.cold, 99))}`, note: `${fmt(percentile(cached.cold, 50) / cold50, 2)} of the p50 with the cache off` }
    ]
  } finally {
    await Promise.allSettled(targets.map(t => t.client.close()))
    await Promise.allSettled(daemons.map(d => d.stop()))
    cache?.remove()
  }
}

export const coldStart: Benchmark = {
  name: 'cold-start',
  title: 'Cold start: first request of a fresh session vs warm requests',
  run
}

if (import.meta.main) await runAlone(coldStart)
