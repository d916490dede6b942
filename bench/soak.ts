// The soak (issue 15): a daemon with a realm of every kind, 50 sessions on
// each, held at half the load it can take for a long time (30 min; --quick:
// 2 min; BENCH_SOAK_MINUTES), with one of a few victim sessions' workers
// killed every few seconds. Each minute it prints the daemon's RSS, open
// descriptors, threads and child processes; the goal is all four flat
// within ±10 % after the first five minutes (one in a quick run), and no
// error for any session that was not a victim.
//
//   npm run bench -- --only soak [--quick]
import { readdir, readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { EXEC_HELLO } from './kinds.ts'
import { MIB, vmRss } from './proc-memory.ts'
import { loginMany } from './sessions.ts'
import { startSessiond } from './sessiond-daemon.ts'
import type { BenchRealm } from './sessiond-daemon.ts'
import type { SummaryRow } from './summary.ts'

const SOAK_HANDLER = new URL('./fixtures/soak.ts', import.meta.url).pathname
const REALMS: BenchRealm[] = [
  { name: 'thread', kind: 'thread', handler: SOAK_HANDLER },
  { name: 'process', kind: 'process', handler: SOAK_HANDLER },
  { name: 'exec', kind: 'exec', command: [process.execPath, EXEC_HELLO] }
]
const VICTIMS_PER_KIND = 5
const KILL_EVERY_MS = 3_000

interface Sample { minute: number, rssMib: number, fds: number, threads: number, children: number }

async function sample (pid: number, minute: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, 'latin1')
  return {
    minute,
    rssMib: (await vmRss(pid)) / MIB,
    fds: (await readdir(`/proc/${pid}/fd`)).length,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    children: (await descendants(pid)).length
  }
}

/** Every process below `root`, from /proc's parent links. */
async function descendants (root: number): Promise<number[]> {
  const parent = new Map<number, number>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'latin1').catch(() => '')
    if (stat) parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
  }
  const out: number[] = []
  const visit = (p: number): void => {
    for (const [child, ppid] of parent) if (ppid === p) { out.push(child); visit(child) }
  }
  visit(root)
  return out
}

/** The spread of one measure after the warm-up: (max − min) / median. */
function spread (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  return median === 0 ? 0 : (sorted[sorted.length - 1] - sorted[0]) / median
}

export const soak: Benchmark = {
  name: 'soak',
  title: 'Soak: half capacity on every kind, workers killed, the daemon\'s resources each minute',
  async run (opts) {
    const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? (opts.quick ? 2 : 30))
    const warmupMinutes = opts.quick ? 1 : 5
    const daemon = await startSessiond({ realms: REALMS })
    try {
      const pool = new Pool(daemon.url, { connections: opts.sessions })
      const sessions: Array<{ realm: string, cookie: string, victim: boolean }> = []
      for (const r of REALMS) {
        const cookies = await loginMany(daemon.url, opts.sessions)
        for (const [i, cookie] of cookies.entries()) sessions.push({ realm: r.name, cookie, victim: i < VICTIMS_PER_KIND })
      }
      const errors = { victims: 0, others: 0 }
      let served = 0
      const get = async (s: typeof sessions[number], path = '/'): Promise<void> => {
        try {
          const res = await pool.request({ method: 'GET', path: `/${s.realm}${path}`, headers: { cookie: s.cookie } })
          const text = await res.body.text()
          if (res.statusCode !== 200 || text !== 'hello') throw new Error(`${res.statusCode}`)
          served++
        } catch {
          if (s.victim) errors.victims++
          else errors.others++
        }
      }
      // Capacity: as fast as the sessions can go for a few seconds, one request in flight each.
      for (const s of sessions) await get(s)
      const until = performance.now() + (opts.quick ? 3_000 : 10_000)
      served = 0
      await Promise.all(sessions.map(async s => { while (performance.now() < until) await get(s) }))
      const capacity = served / (opts.quick ? 3 : 10)
      const rate = capacity / 2
      print(`capacity ${capacity.toFixed(0)} req/s over ${sessions.length} sessions; soaking at ${rate.toFixed(0)} req/s for ${minutes} min`)
      errors.victims = 0
      errors.others = 0

      const samples: Sample[] = []
      const end = performance.now() + minutes * 60_000
      const victims = sessions.filter(s => s.victim)
      let killed = 0
      const killer = (async () => {
        while (performance.now() < end) {
          await sleep(KILL_EVERY_MS)
          // The victim's worker dies from inside (an uncaught exception); its session carries on with a new one.
          await get(victims[killed++ % victims.length], '/die')
        }
      })()
      const sampler = (async () => {
        for (let m = 1; performance.now() < end; m++) {
          await sleep(Math.min(60_000, Math.max(0, end - performance.now())))
          const s = await sample(daemon.pid, m)
          samples.push(s)
          print(`minute ${m}: RSS ${s.rssMib.toFixed(1)} MiB, ${s.fds} fds, ${s.threads} threads, ${s.children} child processes; errors ${errors.others} (others) / ${errors.victims} (victims)`)
        }
      })()
      // Open loop at the chosen rate: a request every 1/rate s, round-robin over the sessions that are not victims.
      const others = sessions.filter(s => !s.victim)
      const inFlight = new Set<Promise<void>>()
      let i = 0
      const started = performance.now()
      while (performance.now() < end) {
        const due = Math.floor((performance.now() - started) / 1000 * rate)
        while (i < due) {
          const p = get(others[i++ % others.length]).finally(() => inFlight.delete(p))
          inFlight.add(p)
        }
        await sleep(5)
      }
      await Promise.all([killer, sampler, ...inFlight])
      await pool.close()

      const steady = samples.filter(s => s.minute > warmupMinutes)
      const rows: SummaryRow[] = [
        { benchmark: 'soak', metric: 'load', value: `${rate.toFixed(0)} req/s`, note: `half of ${capacity.toFixed(0)} measured; ${minutes} min; ${killed} workers killed` },
        { benchmark: 'soak', metric: 'errors, sessions not killed', value: String(errors.others), note: 'goal 0' }
      ]
      for (const key of ['rssMib', 'fds', 'threads', 'children'] as const) {
        const values = steady.map(s => s[key])
        if (values.length < 2) continue
        const d = spread(values)
        rows.push({ benchmark: 'soak', metric: `${key} spread after minute ${warmupMinutes}`, value: `${(d * 100).toFixed(1)} %`, note: `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}; goal within ±10 %` })
      }
      for (const r of rows) print(`${r.metric}: ${r.value} (${r.note})`)
      return rows
    } finally {
      await daemon.stop()
    }
  }
}

if (import.meta.main) await runAlone(soak)
