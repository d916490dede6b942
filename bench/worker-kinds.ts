// Benchmark: the worker kinds side by side (bench/kinds.ts), in one daemon
// with a `hello` realm per kind (same handler for every SDK kind; a plain
// Node http server for exec) and, for the kinds with a spare goal, the same
// realm again with two spares. The daemon runs with the compile cache on, as
// the CLI does by default. (Their throughput is in request-path.ts.)
//   1. idle memory per worker, RSS and PSS: for the kinds whose workers live
//      in the daemon (thread, context) the daemon's growth per worker; for
//      processes the workers' own, from /proc smaps_rollup (PSS shares the
//      Node binary's pages among the processes mapping them);
//   2. the first request of a fresh session per kind (cold start, p50 and
//      p99), with and without spares, against the cold-start-free path: a
//      request of the same kind to an existing worker, after the same pause.
import { readFile, readdir } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'undici'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { primedCompileCache } from './compile-cache.ts'
import type { CompileCache } from './compile-cache.ts'
import { SESSIOND_KINDS, kindRealms } from './kinds.ts'
import type { BenchOptions } from './options.ts'
import { MIB, smapsRollup } from './proc-memory.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { SessiondDaemon } from './sessiond-daemon.ts'
import { getHello, loginMany, timedGet } from './sessions.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'

/** Time for fresh workers to finish their start-up allocations. */
const SETTLE_MS = 3_000
/** Between timed requests: the daemon idle, the spare pools refilled. */
const PAUSE_MS = 400
const WARM_PER_SESSION = 20
const MEMORY_WORKERS = 20

const KINDS = kindRealms({ spares: true })
/** Kinds whose workers live in the daemon's own process. */
const IN_DAEMON = new Set(['thread', 'context'])

/** The daemon's child processes, by the realm in their environment. */
async function childrenByRealm (daemonPid: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>()
  for (const tid of await readdir(`/proc/${daemonPid}/task`)) {
    const kids = (await readFile(`/proc/${daemonPid}/task/${tid}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number)
    for (const pid of kids) {
      const env = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')
      const realm = /(?:^|\0)SESSIOND_REALM=([^\0]*)/.exec(env)?.[1] ?? '?'
      out.set(realm, [...(out.get(realm) ?? []), pid])
    }
  }
  return out
}

const mib = (bytes: number) => fmt(bytes / MIB, 1)

async function measureMemory (daemon: SessiondDaemon, cookies: string[]): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = []
  const n = cookies.length
  for (const { realm } of SESSIOND_KINDS) {
    const daemonBefore = await smapsRollup(daemon.pid)
    for (const c of cookies) await getHello(daemon.url, c, `/${realm.name}`)
    await sleep(SETTLE_MS)
    const daemonAfter = await smapsRollup(daemon.pid)
    if (IN_DAEMON.has(realm.kind)) {
      const rss = (daemonAfter.rss - daemonBefore.rss) / n
      const pss = (daemonAfter.pss - daemonBefore.pss) / n
      print(`${realm.name.padEnd(8)} ${n} idle workers grow the daemon by ${mib(rss)} MiB RSS / ${mib(pss)} MiB PSS each`)
      rows.push({ benchmark: 'worker-kinds', metric: `idle ${realm.name} worker RSS / PSS (MiB)`, value: `${mib(rss)} / ${mib(pss)}`, note: `daemon growth over ${n} workers` })
      continue
    }
    const pids = (await childrenByRealm(daemon.pid)).get(realm.name) ?? []
    if (pids.length !== n) throw new Error(`expected ${n} ${realm.name} workers, found ${pids.length}`)
    const mems = await Promise.all(pids.map(smapsRollup))
    const rss = median(mems.map(m => m.rss))
    const pss = median(mems.map(m => m.pss))
    const daemonSide = (daemonAfter.rss - daemonBefore.rss) / n
    print(`${realm.name.padEnd(8)} ${n} idle workers: each ${mib(rss)} MiB RSS / ${mib(pss)} MiB PSS (median), plus ${mib(daemonSide)} MiB in the daemon`)
    rows.push({ benchmark: 'worker-kinds', metric: `idle ${realm.name} worker RSS / PSS (MiB)`, value: `${mib(rss)} / ${mib(pss)}`, note: `median of ${n} processes; daemon side ${mib(daemonSide)} MiB each` })
  }
  return rows
}

async function measureColdStart (opts: BenchOptions, daemon: SessiondDaemon): Promise<SummaryRow[]> {
  const n = opts.coldSessions
  const cookies = await loginMany(daemon.url, n)
  // One long-lived session whose workers exist: the cold-start-free path.
  const [steady] = await loginMany(daemon.url, 1)
  const client = new Client(daemon.url, { pipelining: 1 })
  const first: Record<string, number[]> = {}
  const baseline: Record<string, number[]> = {}
  const warm: Record<string, number[]> = {}
  try {
    for (const r of KINDS) await timedGet(client, `/${r.name}/`, steady)
    for (let i = 0; i < n; i++) {
      for (const r of KINDS) {
        // Both after the same pause: a request to an idle daemon costs more
        // than one right after another (threads asleep, caches cold), so the
        // first request is compared with an existing worker's after a pause.
        // The pause also lets the spare pools refill.
        await sleep(PAUSE_MS)
        ;(baseline[r.name] ??= []).push(await timedGet(client, `/${r.name}/`, steady))
        await sleep(PAUSE_MS)
        ;(first[r.name] ??= []).push(await timedGet(client, `/${r.name}/`, cookies[i]))
        for (let k = 0; k < WARM_PER_SESSION; k++) (warm[r.name] ??= []).push(await timedGet(client, `/${r.name}/`, cookies[i]))
      }
    }
  } finally {
    await client.close()
  }
  const rows: SummaryRow[] = []
  print(`\n${n} fresh sessions, one after the other; each realm's first request, and an existing worker's request, each after a ${PAUSE_MS} ms pause; then ${WARM_PER_SESSION} back-to-back`)
  for (const r of KINDS) {
    const f50 = percentile(first[r.name], 50)
    const b50 = percentile(baseline[r.name], 50)
    const goals = SESSIOND_KINDS.find(k => k.realm.name === r.name.replace(/-spares$/, ''))?.goals ?? {}
    // Without spares the goal is on the first response itself; with spares, on what it costs over an existing worker's.
    const [goal, measured] = r.spares ? [goals.spareMs, f50 - b50] : [goals.coldP50Ms, f50]
    const verdict = goal === undefined ? '' : ` [goal ${r.spares ? 'first − existing' : 'first p50'} ≤ ${goal} ms: ${measured <= goal ? 'met' : 'not met'}]`
    print(`  ${r.name.padEnd(15)} first p50 ${fmt(f50).padStart(7)} ms  p99 ${fmt(percentile(first[r.name], 99)).padStart(7)} ms   existing worker after a pause p50 ${fmt(b50)} ms   first − that ${fmt(f50 - b50)} ms${verdict}   back-to-back p50 ${fmt(percentile(warm[r.name], 50), 3)} ms`)
    rows.push({ benchmark: 'worker-kinds', metric: `${r.name}: first request p50 / p99; existing worker p50 (ms)`, value: `${fmt(f50)} / ${fmt(percentile(first[r.name], 99))}; ${fmt(b50)}`, note: `${n} sessions; first − existing ${fmt(f50 - b50)} ms${verdict}` })
  }
  return rows
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  let cache: CompileCache | undefined
  let daemon: SessiondDaemon | undefined
  try {
    cache = await primedCompileCache(KINDS)
    daemon = await startSessiond({ realms: KINDS, env: cache.env })
    print(`sessiond ${daemon.url} (pid ${daemon.pid}, compile cache on) with realms ${KINDS.map(r => r.name).join(', ')}\n`)
    const rows = await measureMemory(daemon, await loginMany(daemon.url, MEMORY_WORKERS))
    rows.push(...await measureColdStart(opts, daemon))
    return rows
  } finally {
    await daemon?.stop()
    cache?.remove()
  }
}

export const workerKinds: Benchmark = {
  name: 'worker-kinds',
  title: 'Worker kinds: idle memory, and cold starts with and without spares',
  run
}

if (import.meta.main) await runAlone(workerKinds)
