// Benchmark: the request path at 50 connections over 50 sessions (issue 10),
// every variant in the same run, interleaved round by round (the order
// rotated each round), each connection carrying the next of the sessions'
// cookies (fixtures/rotate-cookies.lua):
//   bare      a bare Fastify hello world, the limit of this stack;
//   anchors   the naive gateways of bench/anchors/: Fastify → a worker thread
//             per session; Fastify → vm contexts on 1 and on 2 shared
//             threads; nginx → a Node process per session, by cookie;
//   kinds     one sessiond daemon with a realm per kind (bench/kinds.ts),
//             every session holding a worker of each kind;
//   and the first kind with every connection on one session, a diagnosis:
//   the gateway and transport without the fan-out over workers.
// The figures that count are medians of per-round ratios: each kind against
// bare Fastify and against its anchor, its p99 against bare Fastify's, and
// the daemon main thread's CPU per request against bare Fastify's (from
// /proc/<pid>/task/<pid>/stat, before and after each run). With --cpu-prof
// the daemon runs with the inspector open and, after the rounds, its main
// thread is profiled under each kind's load (bench/results/profiles/).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { ANCHORS } from './anchors/anchors.ts'
import type { AnchorKey, RunningServer } from './anchors/anchors.ts'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { tempDir } from './cleanup.ts'
import { formatSelfTimes, inspectorUrl, profileWhile, topSelfTimes } from './cpu-profile.ts'
import { SESSIOND_KINDS, kindRealms } from './kinds.ts'
import type { KindBench } from './kinds.ts'
import type { BenchOptions } from './options.ts'
import { perRequest, sampleProc } from './proc-stats.ts'
import type { PerRequest } from './proc-stats.ts'
import { startServerProcess } from './server-process.ts'
import { ROOT, startSessiond } from './sessiond-daemon.ts'
import { getHello, loginMany } from './sessions.ts'
import { fmt, median } from './stats.ts'
import type { SummaryRow } from './summary.ts'
import { warmUp } from './warm-up.ts'
import { ensureWrk, runWrk } from './wrk.ts'
import type { WrkResult } from './wrk.ts'

const BARE_FASTIFY = fileURLToPath(new URL('./fixtures/bare-fastify.ts', import.meta.url))
const BARE = 'bare'
const LABEL_WIDTH = 42

interface Variant { key: string, label: string, url: string, pid: number, cookiesFile: string }
type Measured = WrkResult & { cpu: PerRequest | null }

/** A GET's body text; throws unless it is a 200. */
async function getText (url: string, cookie: string): Promise<string> {
  const res = await request(url, { headers: { cookie } })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text.slice(0, 200)}`)
  return text
}

/** One request per session (which starts its thread or context), and, where the anchor counts, proof that each session has its own counter. */
async function primeAnchor (url: string, cookies: readonly string[], counts: boolean): Promise<void> {
  for (const c of cookies) {
    const text = await getText(`${url}/hello/`, c)
    if (text !== 'hello') throw new Error(`${url}/hello/ answered ${text.slice(0, 200)}`)
  }
  if (!counts) return
  for (const c of cookies.slice(0, 2)) {
    const n = await getText(`${url}/hello/count`, c)
    if (n !== '2') throw new Error(`${url}: a session's counter after 2 requests reads ${n}, not 2: sessions share state`)
  }
}

function describe (r: Measured): string {
  const bad = r.errors + r.non2xx > 0 ? `  (!) ${r.errors} socket errors, ${r.non2xx} non-2xx` : ''
  const cpu = r.cpu ? `  main thread ${fmt(r.cpu.mainCpuUs, 1).padStart(5)} µs/req + ${fmt(r.cpu.mainWaitUs, 0).padStart(3)} waiting` : ''
  return `${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50Ms).padStart(6)} ms  p99 ${fmt(r.p99Ms).padStart(6)} ms${cpu}${bad}`
}

function verdict (value: number, goal: number | undefined, at: 'least' | 'most'): string {
  if (goal === undefined) return ''
  const met = at === 'least' ? value >= goal : value <= goal
  return ` [goal ${at === 'least' ? '≥' : '≤'} ${goal}: ${met ? 'met' : 'not met'}]`
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  ensureWrk()
  const dir = tempDir('request-path')
  const servers: RunningServer[] = []
  try {
    const bare = await startServerProcess('bare fastify', [BARE_FASTIFY], { cwd: dir.path })
    servers.push(bare)
    const daemon = await startSessiond({ realms: kindRealms(), nodeArgs: opts.cpuProf ? ['--inspect=127.0.0.1:0'] : [] })
    servers.push(daemon)
    // Read now: the daemon's logins (a line each) soon push the inspector's address out of the kept tail.
    const inspector = opts.cpuProf ? inspectorUrl(daemon.tail()) : ''
    const cookies = await loginMany(daemon.url, opts.sessions)
    for (const k of SESSIOND_KINDS) for (const c of cookies) await getHello(daemon.url, c, `/${k.realm.name}`)
    print(`bare fastify ${bare.url}; sessiond ${daemon.url} (pid ${daemon.pid}): ${cookies.length} sessions, each with a worker in ${SESSIOND_KINDS.map(k => `/${k.realm.name}`).join(', ')}`)

    const anchors = new Map<AnchorKey, RunningServer>()
    const values = cookies.map(c => c.slice(c.indexOf('=') + 1))
    for (const [key, a] of Object.entries(ANCHORS) as Array<[AnchorKey, (typeof ANCHORS)[AnchorKey]]>) {
      const s = await a.start(values, dir.path)
      servers.push(s)
      anchors.set(key, s)
      await primeAnchor(s.url, cookies, a.counts)
      print(`${a.label}: ${s.url} (routing pid ${s.pid}), ${cookies.length} sessions primed`)
    }

    const cookiesFile = join(dir.path, 'cookies.txt')
    const oneCookie = join(dir.path, 'one-cookie.txt')
    await writeFile(cookiesFile, cookies.join('\n') + '\n')
    await writeFile(oneCookie, cookies[0] + '\n')
    const first = SESSIOND_KINDS[0].realm.name
    const variants: Variant[] = [
      { key: BARE, label: 'bare fastify', url: `${bare.url}/hello/`, pid: bare.pid, cookiesFile },
      ...[...anchors].map(([key, s]) => ({ key, label: ANCHORS[key].label, url: `${s.url}/hello/`, pid: s.pid, cookiesFile })),
      ...SESSIOND_KINDS.map(k => ({ key: k.realm.name, label: `sessiond ${k.realm.name}`, url: `${daemon.url}/${k.realm.name}/`, pid: daemon.pid, cookiesFile })),
      { key: `${first}-1-session`, label: `sessiond ${first}, all on 1 session`, url: `${daemon.url}/${first}/`, pid: daemon.pid, cookiesFile: oneCookie }
    ]
    const load = async (v: Variant, seconds: number): Promise<Measured> => {
      const before = await sampleProc(v.pid)
      const r = await runWrk({ url: v.url, seconds, connections: opts.sessions, cookiesFile: v.cookiesFile })
      return { ...r, cpu: perRequest(before, await sampleProc(v.pid), r.requests) }
    }
    for (const v of variants) {
      await warmUp(async s => (await load(v, s)).rps, { label: v.label, chunkSeconds: opts.warmupChunkSeconds, maxSeconds: opts.warmupMaxSeconds })
    }

    const runs = new Map<string, Measured[]>(variants.map(v => [v.key, []]))
    print(`\nwrk -t1 -c${opts.sessions} over ${cookies.length} sessions, ${opts.seconds} s per run, ${variants.length} variants per round, the order rotated each round`)
    for (let round = 1; round <= opts.rounds; round++) {
      const order = variants.map((_v, i) => variants[(i + round - 1) % variants.length])
      for (const v of order) {
        const r = await load(v, opts.seconds)
        runs.get(v.key)!.push(r)
        print(`round ${round} ${v.label.padEnd(LABEL_WIDTH)} ${describe(r)}`)
      }
      const a = runs.get(BARE)!.at(-1)!.rps
      print(`round ${round} / bare: ${variants.slice(1).map(v => `${v.key} ${fmt(runs.get(v.key)!.at(-1)!.rps / a, 3)}`).join(', ')}`)
    }

    // Medians of a figure, and medians of its per-round ratio to another variant's.
    const med = (key: string, f: (r: Measured) => number) => median(runs.get(key)!.map(f))
    const ratio = (key: string, to: string, f: (r: Measured) => number) => median(runs.get(key)!.map((r, i) => f(r) / f(runs.get(to)![i])))
    const rps = (r: Measured) => r.rps
    const p99 = (r: Measured) => r.p99Ms
    const mainCpu = (r: Measured) => r.cpu?.mainCpuUs ?? Number.NaN

    print(`\nmedians over ${opts.rounds} rounds; ratios are medians of per-round ratios; main thread: the routing process's event loop, CPU (utime + stime) per request`)
    print(`  ${'variant'.padEnd(LABEL_WIDTH)}   req/s  / bare  p50 ms  p99 ms  p99 / bare  main thread µs/req (/ bare)  waiting µs/req`)
    for (const v of variants) {
      print(`  ${v.label.padEnd(LABEL_WIDTH)} ${fmt(med(v.key, rps), 0).padStart(7)}  ${fmt(ratio(v.key, BARE, rps), 3).padStart(5)}  ${fmt(med(v.key, r => r.p50Ms)).padStart(6)}  ${fmt(med(v.key, p99)).padStart(6)}  ${fmt(ratio(v.key, BARE, p99)).padStart(10)}  ${`${fmt(med(v.key, mainCpu), 1)} (${fmt(ratio(v.key, BARE, mainCpu))})`.padStart(26)}  ${fmt(med(v.key, r => r.cpu?.mainWaitUs ?? Number.NaN), 0).padStart(14)}`)
    }

    const rows: SummaryRow[] = []
    const note = `${opts.sessions} connections over ${cookies.length} sessions, median of ${opts.rounds} × ${opts.seconds} s`
    const reqs = (key: string) => `${fmt(med(key, rps), 0)} (${fmt(med(key, r => r.p50Ms))} / ${fmt(med(key, p99))})`
    rows.push({ benchmark: 'request-path', metric: 'bare fastify req/s (p50 / p99 ms)', value: reqs(BARE), note: `${note}; main thread ${fmt(med(BARE, mainCpu), 1)} µs/req` })
    for (const key of anchors.keys()) {
      rows.push({ benchmark: 'request-path', metric: `anchor: ${ANCHORS[key].label}, req/s (p50 / p99 ms); / bare`, value: `${reqs(key)}; ${fmt(ratio(key, BARE, rps), 3)}` })
    }
    print('\nper kind (goals from issue 10):')
    for (const k of SESSIOND_KINDS) rows.push(...kindFigures(k, { med, ratio, rps, p99, mainCpu, reqs }))
    const diag = variants.at(-1)!
    print(`  diagnosis, ${diag.label}: / bare ${fmt(ratio(diag.key, BARE, rps), 3)}, main thread ${fmt(med(diag.key, mainCpu), 1)} µs/req (/ bare ${fmt(ratio(diag.key, BARE, mainCpu))})`)
    rows.push({ benchmark: 'request-path', metric: `${diag.label}: req/s (p50 / p99 ms); / bare`, value: `${reqs(diag.key)}; ${fmt(ratio(diag.key, BARE, rps), 3)}`, note: `diagnosis: 1 worker, ${opts.sessions} in flight` })

    if (opts.cpuProf) {
      const ws = inspector
      const profiles = join(ROOT, 'bench/results/profiles', `request-path-${new Date().toISOString().replaceAll(':', '-')}`)
      for (const k of SESSIOND_KINDS) {
        const v = variants.find(x => x.key === k.realm.name)!
        const file = join(profiles, `daemon-main-${k.realm.name}.cpuprofile`)
        let r: Measured | undefined
        const { top, busyMs } = topSelfTimes(await profileWhile(ws, file, async () => { r = await load(v, opts.seconds) }), 12)
        print(`\ndaemon main thread under the ${k.realm.name} load (${fmt(r!.rps, 0)} req/s while profiled), busy ${fmt(busyMs, 0)} ms of ${opts.seconds * 1000}, top self time (${file}):\n${formatSelfTimes(top)}`)
        rows.push({ benchmark: 'request-path', metric: `${k.realm.name}: daemon main thread, top self time`, value: top[0] ? `${(top[0].share * 100).toFixed(1)} %` : 'n/a', note: top[0]?.name ?? '' })
      }
    }
    return rows
  } finally {
    await Promise.allSettled(servers.map(s => s.stop()))
    dir.remove()
  }
}

interface Figures {
  med (key: string, f: (r: Measured) => number): number
  ratio (key: string, to: string, f: (r: Measured) => number): number
  rps (r: Measured): number
  p99 (r: Measured): number
  mainCpu (r: Measured): number
  reqs (key: string): string
}

/** One kind's line and summary rows: against bare Fastify, its anchor, bare's p99 and bare's main-thread CPU. */
function kindFigures (k: KindBench, { med, ratio, rps, p99, mainCpu, reqs }: Figures): SummaryRow[] {
  const key = k.realm.name
  const g = k.goals
  const toBare = ratio(key, BARE, rps)
  const toAnchor = ratio(key, k.anchor, rps)
  const p99Ratio = ratio(key, BARE, p99)
  const cpuRatio = ratio(key, BARE, mainCpu)
  const anchor = ANCHORS[k.anchor].label
  print(`  ${key.padEnd(8)} / bare ${fmt(toBare, 3)}${verdict(toBare, g.bare, 'least')}` +
    `   / ${anchor} ${fmt(toAnchor, 3)}${verdict(toAnchor, g.anchor, 'least')}` +
    `   p99 / bare's ${fmt(p99Ratio)}${verdict(p99Ratio, g.p99, 'most')}` +
    `   main thread ${fmt(med(key, mainCpu), 1)} µs/req vs bare's ${fmt(med(BARE, mainCpu), 1)}: ${fmt(cpuRatio)}×${verdict(cpuRatio, g.mainCpu, 'most')}`)
  return [
    { benchmark: 'request-path', metric: `sessiond ${key}: req/s (p50 / p99 ms)`, value: reqs(key) },
    { benchmark: 'request-path', metric: `sessiond ${key} / bare fastify`, value: fmt(toBare, 3), note: verdict(toBare, g.bare, 'least').trim() },
    { benchmark: 'request-path', metric: `sessiond ${key} / ${anchor}`, value: fmt(toAnchor, 3), note: verdict(toAnchor, g.anchor, 'least').trim() },
    { benchmark: 'request-path', metric: `sessiond ${key}: p99 / bare fastify's p99`, value: fmt(p99Ratio), note: verdict(p99Ratio, g.p99, 'most').trim() },
    { benchmark: 'request-path', metric: `sessiond ${key}: main thread CPU µs/req (/ bare fastify's)`, value: `${fmt(med(key, mainCpu), 1)} (${fmt(cpuRatio)})`, note: verdict(cpuRatio, g.mainCpu, 'most').trim() }
  ]
}

export const requestPath: Benchmark = {
  name: 'request-path',
  title: 'Request path: bare Fastify, the naive anchors and sessiond\'s kinds, interleaved',
  run
}

if (import.meta.main) await runAlone(requestPath)
