// Benchmark: the three worker kinds side by side, in one daemon with a
// `hello` realm per kind (same handler for thread and process; a plain Node
// http server for exec) and the thread and process realms again with spares.
//   1. idle memory per worker, RSS and PSS: for threads the daemon's growth
//      per worker; for processes the workers' own, from /proc smaps_rollup
//      (PSS shares the Node binary's pages among the processes mapping them);
//   2. req/s at 50 connections over 50 sessions per kind against bare
//      Fastify, interleaved rounds, the median of per-round ratios;
//   3. the first request of a fresh session per kind, with and without
//      spares, against the cold-start-free path: a request of the same kind
//      to an existing worker, after the same pause.
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Client } from 'undici'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { tempDir } from './cleanup.ts'
import type { BenchOptions } from './options.ts'
import { MIB, smapsRollup } from './proc-memory.ts'
import { startServerProcess } from './server-process.ts'
import type { ServerProcess } from './server-process.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { BenchRealm, SessiondDaemon } from './sessiond-daemon.ts'
import { getHello, loginMany, timedGet } from './sessions.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'
import { warmUp } from './warm-up.ts'
import { ensureWrk, runWrk } from './wrk.ts'

const BARE_FASTIFY = fileURLToPath(new URL('./fixtures/bare-fastify.ts', import.meta.url))
const EXEC_HELLO = fileURLToPath(new URL('./fixtures/exec-hello.mjs', import.meta.url))
/** The goal for kind process / bare Fastify. */
const GOAL_PROCESS = 0.3
/** The goals for a spare's first response over the warm path, p50. */
const GOAL_SPARE_MS = { thread: 2, process: 5 } as const
/** Time for fresh workers to finish their start-up allocations. */
const SETTLE_MS = 3_000
/** Between timed requests: the daemon idle, the spare pools refilled. */
const PAUSE_MS = 400
const WARM_PER_SESSION = 20
const MEMORY_WORKERS = 20

const KINDS: BenchRealm[] = [
  { name: 'thread', kind: 'thread' },
  { name: 'process', kind: 'process' },
  { name: 'exec', kind: 'exec', command: [process.execPath, EXEC_HELLO] },
  { name: 'thread-spares', kind: 'thread', spares: 2 },
  { name: 'process-spares', kind: 'process', spares: 2 }
]

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
  const before = await smapsRollup(daemon.pid)
  for (const c of cookies) await getHello(daemon.url, c, '/thread')
  await sleep(SETTLE_MS)
  const withThreads = await smapsRollup(daemon.pid)
  const n = cookies.length
  const thread = { rss: (withThreads.rss - before.rss) / n, pss: (withThreads.pss - before.pss) / n }
  print(`thread:  ${n} idle workers grow the daemon by ${mib(thread.rss)} MiB RSS / ${mib(thread.pss)} MiB PSS each`)
  rows.push({ benchmark: 'worker-kinds', metric: 'idle thread worker RSS / PSS (MiB)', value: `${mib(thread.rss)} / ${mib(thread.pss)}`, note: `daemon growth over ${n} workers` })

  for (const kind of ['process', 'exec'] as const) {
    const daemonBefore = await smapsRollup(daemon.pid)
    for (const c of cookies) await getHello(daemon.url, c, `/${kind}`)
    await sleep(SETTLE_MS)
    const pids = (await childrenByRealm(daemon.pid)).get(kind) ?? []
    if (pids.length !== n) throw new Error(`expected ${n} ${kind} workers, found ${pids.length}`)
    const mems = await Promise.all(pids.map(smapsRollup))
    const rss = median(mems.map(m => m.rss))
    const pss = median(mems.map(m => m.pss))
    const daemonSide = ((await smapsRollup(daemon.pid)).rss - daemonBefore.rss) / n
    print(`${kind.padEnd(8)} ${n} idle workers: each ${mib(rss)} MiB RSS / ${mib(pss)} MiB PSS (median), plus ${mib(daemonSide)} MiB in the daemon`)
    rows.push({ benchmark: 'worker-kinds', metric: `idle ${kind} worker RSS / PSS (MiB)`, value: `${mib(rss)} / ${mib(pss)}`, note: `median of ${n} processes; daemon side ${mib(daemonSide)} MiB each` })
  }
  return rows
}

async function measureThroughput (opts: BenchOptions, daemon: SessiondDaemon, cookies: string[], dir: string): Promise<SummaryRow[]> {
  ensureWrk()
  let bare: ServerProcess | undefined
  try {
    bare = await startServerProcess('bare fastify', [BARE_FASTIFY], { cwd: dir })
    const cookiesFile = join(dir, 'cookies.txt')
    await writeFile(cookiesFile, cookies.join('\n') + '\n')
    const variants = [
      { key: 'bare fastify', url: `${bare.url}/hello/` },
      ...['thread', 'process', 'exec'].map(k => ({ key: k, url: `${daemon.url}/${k}/` }))
    ]
    for (const c of cookies) for (const k of ['thread', 'process', 'exec']) await getHello(daemon.url, c, `/${k}`)
    const load = async (url: string, seconds: number) => runWrk({ url, seconds, connections: cookies.length, cookiesFile })
    for (const v of variants) {
      await warmUp(async s => (await load(v.url, s)).rps, { label: v.key, chunkSeconds: opts.warmupChunkSeconds, maxSeconds: opts.warmupMaxSeconds })
    }
    const rps: Record<string, number[]> = {}
    const ratios: Record<string, number[]> = {}
    print(`\nwrk -c${cookies.length} over ${cookies.length} sessions, ${opts.seconds} s per run, interleaved`)
    for (let round = 1; round <= opts.rounds; round++) {
      for (const v of variants) {
        const r = await load(v.url, opts.seconds)
        const bad = r.errors + r.non2xx > 0 ? `  (!) ${r.errors} errors, ${r.non2xx} non-2xx` : ''
        print(`round ${round} ${v.key.padEnd(13)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(6)} ms  p99 ${fmt(r.p99Ms).padStart(6)} ms${bad}`)
        ;(rps[v.key] ??= []).push(r.rps)
      }
      for (const k of ['thread', 'process', 'exec']) (ratios[k] ??= []).push(rps[k][round - 1] / rps['bare fastify'][round - 1])
    }
    const rows: SummaryRow[] = [{ benchmark: 'worker-kinds', metric: 'bare fastify req/s', value: fmt(median(rps['bare fastify']), 0), note: `${cookies.length} connections, median of ${opts.rounds} × ${opts.seconds} s` }]
    print('\nmedians:')
    for (const k of ['thread', 'process', 'exec']) {
      const ratio = median(ratios[k])
      const goal = k === 'process' ? ` [goal ≥ ${GOAL_PROCESS}: ${ratio >= GOAL_PROCESS ? 'met' : 'not met'}]` : ''
      print(`  ${k.padEnd(8)} ${fmt(median(rps[k]), 0).padStart(7)} req/s, / bare fastify ${fmt(ratio, 3)}${goal}`)
      rows.push({ benchmark: 'worker-kinds', metric: `${k}: req/s, / bare fastify`, value: `${fmt(median(rps[k]), 0)}, ${fmt(ratio, 3)}`, note: `${cookies.length} sessions, ${cookies.length} workers${goal}` })
    }
    return rows
  } finally {
    await bare?.stop()
  }
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
    const base = r.name.replace('-spares', '') as 'thread' | 'process' | 'exec'
    const goal = r.spares ? GOAL_SPARE_MS[base as 'thread' | 'process'] : undefined
    const verdict = goal === undefined ? '' : ` [goal ≤ ${goal} ms: ${f50 - b50 <= goal ? 'met' : 'not met'}]`
    print(`  ${r.name.padEnd(15)} first p50 ${fmt(f50).padStart(7)} ms  p99 ${fmt(percentile(first[r.name], 99)).padStart(7)} ms   existing worker after a pause p50 ${fmt(b50)} ms   first − that ${fmt(f50 - b50)} ms${verdict}   back-to-back p50 ${fmt(percentile(warm[r.name], 50), 3)} ms`)
    rows.push({ benchmark: 'worker-kinds', metric: `${r.name}: first request p50 / p99; existing worker p50 (ms)`, value: `${fmt(f50)} / ${fmt(percentile(first[r.name], 99))}; ${fmt(b50)}`, note: `${n} sessions; first − existing ${fmt(f50 - b50)} ms${verdict}` })
  }
  return rows
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const dir = tempDir('kinds')
  let daemon: SessiondDaemon | undefined
  try {
    daemon = await startSessiond({ realms: KINDS })
    print(`sessiond ${daemon.url} (pid ${daemon.pid}) with realms ${KINDS.map(r => r.name).join(', ')}\n`)
    const memoryCookies = await loginMany(daemon.url, Math.min(MEMORY_WORKERS, opts.sessions))
    const rows = await measureMemory(daemon, memoryCookies)
    const loadCookies = [...memoryCookies, ...await loginMany(daemon.url, Math.max(0, opts.sessions - memoryCookies.length))]
    rows.push(...await measureThroughput(opts, daemon, loadCookies, dir.path))
    rows.push(...await measureColdStart(opts, daemon))
    return rows
  } finally {
    await daemon?.stop()
    dir.remove()
  }
}

export const workerKinds: Benchmark = {
  name: 'worker-kinds',
  title: 'Worker kinds: memory, throughput against bare Fastify, and cold starts with and without spares',
  run
}

if (import.meta.main) await runAlone(workerKinds)
