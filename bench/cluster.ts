// Benchmark: several hosts (issue 11). Real processes on network-namespace
// hosts (test/helpers/cluster.ts: one Redis, supervisor hosts, gateways,
// the real CLI, HMAC between them), so it runs as root. Figures:
//   failover   kill -9 of the supervisor holding most of 50 sessions under
//              load: per session of it, the time from the kill to its
//              first answer from another host (p50, p99), and the requests
//              that failed meanwhile (in progress on the lost host, or not);
//   migration  one session at a time moved with `migrate` while its own
//              client keeps asking: the longest wait of one of its requests
//              across the move (the pause, p50 and p99), and failures;
//   drain      a host's sessions moved under load by `drain`: each moved
//              session's pause, and failures;
//   throughput wrk at 50 connections over 50 sessions (the hello realm)
//              through a gateway and one remote supervisor, against the
//              embedded daemon (`sessiond start`), interleaved round by round.
// The lease is the default (2 s), as a deployment has it.
import { fileURLToPath } from 'node:url'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { tempDir } from './cleanup.ts'
import type { BenchOptions } from './options.ts'
import { HELLO_HANDLER, startSessiond } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'
import { runLoops, startSessions } from './session-loop.ts'
import type { LoopSession } from './session-loop.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'
import { warmUp } from './warm-up.ts'
import { ensureWrk, runWrk } from './wrk.ts'
import { startCluster } from '../test/helpers/cluster.ts'
import type { TestCluster } from '../test/helpers/cluster.ts'
import { netnsSkipReason } from '../test/helpers/netns.ts'

const COUNTER = '/count/'
const PACE_MS = 50

/** What helpers written for a test's context register, undone at the end. */
function cleanups (): { context: { after (fn: () => unknown): void }, run (): Promise<void> } {
  const fns: Array<() => unknown> = []
  return {
    context: { after: (fn) => { fns.unshift(fn) } },
    async run () {
      for (const fn of fns.splice(0)) await fn()
    }
  }
}

function pct (xs: number[]): string {
  return xs.length === 0 ? 'n/a' : `${fmt(percentile(xs, 50), 0)} / ${fmt(percentile(xs, 99), 0)} ms`
}

/** One kill -9 under load: each of the victim's sessions' time to its first answer elsewhere, and the failures. */
async function failoverRound (c: TestCluster, gateways: string[], n: number): Promise<{ victim: string, times: number[], failedInFlight: number, failedAfter: number }> {
  const sessions = await startSessions(gateways, COUNTER, n)
  const stop = runLoops(gateways, COUNTER, sessions, PACE_MS)
  await sleep(1500)
  const counts = new Map<string, number>()
  for (const s of sessions) counts.set(s.home, (counts.get(s.home) ?? 0) + 1)
  const victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
  const killedAt = Date.now()
  await c.supervisors.get(victim)!.kill()
  const deadAt = Date.now()
  const mine = sessions.filter(s => s.home === victim)
  const deadline = killedAt + 30_000
  while (Date.now() < deadline && !mine.every(s => s.samples.some(x => x.ok && x.host !== victim))) await sleep(50)
  await sleep(300)
  await stop()
  const times = mine.map(s => s.samples.find(x => x.ok && x.host !== victim)?.done).filter((t): t is number => t !== undefined).map(t => t - killedAt)
  const failed = sessions.flatMap(s => s.samples.filter(x => !x.ok))
  await c.startSupervisor(victim)
  return { victim, times, failedInFlight: failed.filter(x => x.at <= deadAt).length, failedAfter: failed.filter(x => x.at > deadAt).length }
}

/** The longest request of a session that started in [from, to]. */
function pause (s: LoopSession, from: number, to: number): number {
  const during = s.samples.filter(x => x.done >= from && x.at <= to)
  return during.length === 0 ? 0 : Math.max(...during.map(x => x.done - x.at))
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const skip = netnsSkipReason()
  if (skip) throw new Error(`cluster bench: ${skip}`)
  ensureWrk()
  const rows: SummaryRow[] = []
  const cleanup = cleanups()
  try {
    // --- failover, migration, drain: three supervisor hosts, two gateways.
    const c = await startCluster(cleanup.context, {
      realms: [{ name: 'count', mount: '/count', auth: 'anonymous', checkpoint: '500ms' }],
      lease: '2s',
      hold: '15s'
    })
    const gateways = [...c.gateways.values()].map(g => g.url)
    const failover: number[] = []
    let inFlight = 0
    let after = 0
    const rounds = Math.max(1, Math.min(opts.rounds, 3))
    for (let r = 1; r <= rounds; r++) {
      const f = await failoverRound(c, gateways, opts.sessions)
      failover.push(...f.times)
      inFlight += f.failedInFlight
      after += f.failedAfter
      // The earliest is the lease running out, the gateways seeing it and one resume; the rest wait for their turn to boot.
      print(`failover round ${r}: kill -9 of ${f.victim} (${f.times.length} of ${opts.sessions} sessions): first answer elsewhere ${pct(f.times)} (p50 / p99), earliest ${fmt(Math.min(...f.times), 0)} ms; failed: ${f.failedInFlight} in progress on it, ${f.failedAfter} after the kill`)
    }
    print(`failover, ${rounds} rounds: ${pct(failover)}; requests failed: ${inFlight} in progress on the lost host, ${after} arriving after the kill`)
    rows.push({ benchmark: 'cluster', metric: 'failover: kill -9 to first answer elsewhere, p50 / p99', value: pct(failover), note: `goal p99 ≤ 3 s; lease 2 s, ${opts.sessions} sessions under load, ${rounds} rounds` })
    rows.push({ benchmark: 'cluster', metric: 'failover: requests failed (in progress on the lost host / arriving after)', value: `${inFlight} / ${after}` })

    const migrations = opts.quick ? 5 : 20
    const sessions = await startSessions(gateways, COUNTER, migrations)
    const stop = runLoops(gateways, COUNTER, sessions, 0)
    await sleep(500)
    const pauses: number[] = []
    const hosts = [...c.supervisors.keys()]
    for (const s of sessions) {
      const placed = await c.directory.read(s.id, 'count')
      const to = hosts.find(h => h !== placed!.host)!
      const from = Date.now()
      const out = await c.cli(['migrate', s.id, 'count', to])
      if (out.code !== 0) throw new Error(`migrate failed: ${out.output}`)
      await sleep(300)
      pauses.push(pause(s, from, Date.now()))
    }
    await stop()
    const failedMoves = sessions.flatMap(s => s.samples.filter(x => !x.ok)).length
    print(`migration, ${migrations} sessions one at a time, each with a client asking back to back: pause ${pct(pauses)}; ${failedMoves} requests failed`)
    rows.push({ benchmark: 'cluster', metric: 'migration pause p50 / p99', value: pct(pauses), note: `goal p50 ≤ 250 ms; ${failedMoves} requests failed; ${migrations} moves of a thread worker` })

    const drained = await startSessions(gateways, COUNTER, opts.sessions)
    const stopDrain = runLoops(gateways, COUNTER, drained, PACE_MS)
    await sleep(1000)
    const victim = hosts[0]
    const drainFrom = Date.now()
    const out = await c.cli(['drain', victim, '--deadline', '60s'])
    if (out.code !== 0) throw new Error(`drain failed: ${out.output}`)
    const drainTo = Date.now()
    await sleep(500)
    await stopDrain()
    const moved = drained.filter(s => s.home === victim)
    const drainPauses = moved.map(s => pause(s, drainFrom, drainTo))
    const failedDrain = drained.flatMap(s => s.samples.filter(x => !x.ok)).length
    print(`drain of ${victim} (${moved.length} of ${drained.length} sessions) in ${fmt((drainTo - drainFrom) / 1000, 1)} s: pause ${pct(drainPauses)}; ${failedDrain} requests failed`)
    rows.push({ benchmark: 'cluster', metric: 'drain pause p50 / p99', value: pct(drainPauses), note: `${moved.length} sessions moved under load; ${failedDrain} requests failed` })
    await cleanup.run()

    // --- throughput: a gateway and one remote supervisor, against the embedded daemon.
    const single = await startCluster(cleanup.context, {
      supervisors: ['s1'],
      gateways: ['g1'],
      realms: [{ name: 'hello', mount: '/hello', handler: HELLO_HANDLER, auth: 'required' }],
      users: { bench: 'bench-password' }
    })
    const remoteUrl = single.gateways.get('g1')!.url
    const embedded = await startSessiond()
    cleanup.context.after(() => embedded.stop())
    const dir = tempDir('cluster')
    cleanup.context.after(() => dir.remove())
    const variants = []
    for (const [label, url] of [['embedded supervisor', embedded.url], ['remote supervisor', remoteUrl]] as const) {
      const cookies = await loginMany(url, opts.sessions)
      for (const cookie of cookies) await getHello(url, cookie)
      const cookiesFile = join(dir.path, `${label.split(' ')[0]}.cookies`)
      await writeFile(cookiesFile, cookies.join('\n') + '\n')
      variants.push({ label, url: `${url}/hello/`, cookiesFile, rps: [] as number[], p50: [] as number[] })
    }
    for (const v of variants) await warmUp(async (seconds) => (await runWrk({ url: v.url, seconds, connections: opts.sessions, cookiesFile: v.cookiesFile })).rps, { label: v.label, chunkSeconds: opts.warmupChunkSeconds, maxSeconds: opts.warmupMaxSeconds })
    const ratios: number[] = []
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 === 1 ? variants : [...variants].reverse()
      for (const v of order) {
        const r = await runWrk({ url: v.url, seconds: opts.seconds, connections: opts.sessions, cookiesFile: v.cookiesFile })
        v.rps.push(r.rps)
        v.p50.push(r.p50Ms)
        print(`round ${round} ${v.label.padEnd(20)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(6)} ms  p99 ${fmt(r.p99Ms).padStart(6)} ms${r.errors + r.non2xx > 0 ? `  (!) ${r.errors} errors, ${r.non2xx} non-2xx` : ''}`)
      }
      ratios.push(variants[1].rps.at(-1)! / variants[0].rps.at(-1)!)
    }
    const [emb, rem] = variants
    print(`throughput, medians of ${opts.rounds} rounds: embedded ${fmt(median(emb.rps), 0)} req/s, remote ${fmt(median(rem.rps), 0)} req/s; remote / embedded ${fmt(median(ratios), 2)}`)
    rows.push({ benchmark: 'cluster', metric: 'throughput: embedded / remote supervisor', value: `${fmt(median(emb.rps), 0)} / ${fmt(median(rem.rps), 0)} req/s`, note: `p50 ${fmt(median(emb.p50))} / ${fmt(median(rem.p50))} ms; ${opts.sessions} connections over ${opts.sessions} sessions` })
    rows.push({ benchmark: 'cluster', metric: 'throughput ratio remote / embedded', value: fmt(median(ratios), 2), note: 'median of per-round ratios; the gateway and the supervisor share the machine\'s cores' })
    return rows
  } finally {
    await cleanup.run()
  }
}

export const cluster: Benchmark = { name: 'cluster', title: 'several hosts: failover, migration, throughput through a remote supervisor', run }

if (process.argv[1] === fileURLToPath(import.meta.url)) await runAlone(cluster)
