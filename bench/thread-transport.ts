// Benchmark 4: the thread transport, in process, no HTTP ("measure, then
// choose"). With `sessions` requests in flight, round trips per second of
//   (a) a piscina pool of one thread per worker, one pool.run() per request;
//   (b) a raw worker_threads Worker + MessagePort per worker;
//   (c) our design, through the real Supervisor.
// All three call the same handler the same way (web Request in, whole body
// out), so the differences are the transport and its bookkeeping. Two
// shapes: N workers × 1 in flight (the HTTP bench's: many sessions, one
// request each) and 1 worker × N in flight (one busy session).
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { onInterrupt } from './cleanup.ts'
import type { BenchOptions } from './options.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'
import { PiscinaPerRequest } from './transports/piscina-per-request.ts'
import { RawPort } from './transports/raw-port.ts'
import { SupervisorDispatch } from './transports/supervisor-dispatch.ts'
import type { Transport } from './transports/transport.ts'
import { warmUp } from './warm-up.ts'

interface Run { rps: number, p50Ms: number, p99Ms: number, cpuUs: number }

/** Keeps `inFlight` requests outstanding on each worker for `seconds`. */
async function drive (t: Transport, workers: number, inFlight: number, seconds: number): Promise<Run> {
  const latencies: number[] = []
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  const end = started + seconds * 1000
  const loop = async (w: number) => {
    while (performance.now() < end) {
      const t0 = performance.now()
      await t.request(w)
      latencies.push(performance.now() - t0)
    }
  }
  const loops: Promise<void>[] = []
  for (let w = 0; w < workers; w++) for (let k = 0; k < inFlight; k++) loops.push(loop(w))
  await Promise.all(loops)
  const elapsed = performance.now() - started
  const cpu = process.cpuUsage(cpu0)
  return {
    rps: latencies.length / elapsed * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    // Every thread of this process: the driver, the workers, V8's helpers.
    cpuUs: (cpu.user + cpu.system) / latencies.length
  }
}

function describe (r: Run): string {
  return `${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms, 3).padStart(7)} ms  p99 ${fmt(r.p99Ms, 3).padStart(7)} ms  CPU ${fmt(r.cpuUs, 0).padStart(4)} µs/req`
}

async function shape (opts: BenchOptions, workers: number, inFlight: number): Promise<SummaryRow[]> {
  const transports: Transport[] = [new PiscinaPerRequest(), new RawPort(), new SupervisorDispatch()]
  const closeAll = async () => { await Promise.allSettled(transports.map(t => t.close())) }
  const unregister = onInterrupt(closeAll)
  const label = `${workers} worker${workers === 1 ? '' : 's'} × ${inFlight} in flight`
  try {
    print(`### ${label}`)
    for (const t of transports) {
      const t0 = performance.now()
      await t.start(workers, inFlight)
      print(`started (${t.key}) ${t.name} in ${fmt(performance.now() - t0, 0)} ms`)
    }
    for (const t of transports) {
      await warmUp(async s => (await drive(t, workers, inFlight, s)).rps, { label: `(${t.key}) ${t.name}`, chunkSeconds: opts.warmupChunkSeconds, maxSeconds: opts.warmupMaxSeconds })
    }

    const runs = new Map<string, Run[]>(transports.map(t => [t.key, []]))
    const ratioCB: number[] = []
    const ratioAB: number[] = []
    for (let round = 1; round <= opts.rounds; round++) {
      // Rotate the order each round so that no transport always runs first.
      const order = transports.map((_t, i) => transports[(i + round - 1) % transports.length])
      const byKey = new Map<string, Run>()
      for (const t of order) {
        const r = await drive(t, workers, inFlight, opts.seconds)
        byKey.set(t.key, r)
        runs.get(t.key)!.push(r)
        print(`round ${round} (${t.key}) ${t.name.padEnd(30)} ${describe(r)}`)
      }
      ratioCB.push(byKey.get('c')!.rps / byKey.get('b')!.rps)
      ratioAB.push(byKey.get('a')!.rps / byKey.get('b')!.rps)
      print(`round ${round} (c)/(b) ${fmt(ratioCB.at(-1)!, 3)}  (a)/(b) ${fmt(ratioAB.at(-1)!, 3)}`)
    }
    const med = (k: string, f: (r: Run) => number) => median(runs.get(k)!.map(f))
    print(`\nmedians over ${opts.rounds} rounds (${label}):`)
    for (const t of transports) print(`  (${t.key}) ${t.name.padEnd(30)} ${fmt(med(t.key, r => r.rps), 0).padStart(7)} req/s  p50 ${fmt(med(t.key, r => r.p50Ms), 3)} ms  p99 ${fmt(med(t.key, r => r.p99Ms), 3)} ms  CPU ${fmt(med(t.key, r => r.cpuUs), 0)} µs/req`)
    print(`  (c)/(b) ${fmt(median(ratioCB), 3)}   (a)/(b) ${fmt(median(ratioAB), 3)}   (medians of per-round ratios)\n`)
    return [
      ...transports.map(t => ({
        benchmark: 'thread-transport',
        metric: `${label}: (${t.key}) ${t.name} req/s (p50 ms; CPU µs/req)`,
        value: `${fmt(med(t.key, r => r.rps), 0)} (${fmt(med(t.key, r => r.p50Ms), 3)}; ${fmt(med(t.key, r => r.cpuUs), 0)})`
      })),
      { benchmark: 'thread-transport', metric: `${label}: (c)/(b)`, value: fmt(median(ratioCB), 3), note: 'our design vs a raw Worker + port' },
      { benchmark: 'thread-transport', metric: `${label}: (a)/(b)`, value: fmt(median(ratioAB), 3), note: 'a piscina task per request vs a raw Worker + port' }
    ]
  } finally {
    await closeAll()
    unregister()
  }
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  return [
    ...await shape(opts, opts.sessions, 1),
    ...await shape(opts, 1, opts.sessions)
  ]
}

export const threadTransport: Benchmark = {
  name: 'thread-transport',
  title: 'Thread transport, in process: piscina task per request (a), raw Worker + port (b), sessiond Supervisor (c)',
  run
}

if (import.meta.main) await runAlone(threadTransport)
