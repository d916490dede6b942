// The benchmarks' settings: flags first, then the environment, then the
// defaults. This is the one place in bench/ that reads process.env.
import { parseArgs } from 'node:util'

export interface BenchOptions {
  /** Measured rounds per comparison; each round runs every variant once. */
  rounds: number
  /** Length of one measured run of one variant. */
  seconds: number
  /** Warm-up per variant: chunks of this length while the figure still climbs… */
  warmupChunkSeconds: number
  /** …for at most this long (BENCH_WARMUP_MAX). */
  warmupMaxSeconds: number
  /** Sessions (and so workers and connections) under HTTP load; requests in flight in the transport bench. */
  sessions: number
  /** Freshly logged-in sessions whose first request is timed. */
  coldSessions: number
  /** Idle workers the RSS benchmark spawns. */
  rssWorkers: number
  /** Live sessions in the density bench, for every kind; undefined: each kind's own count (bench/kinds.ts). */
  densitySessions: number | undefined
  /** Run these benchmarks only (by name); all when empty. */
  only: string[]
  /** Profile the daemon's main thread under the request-path load, per kind, and summarise the hottest functions. */
  cpuProf: boolean
  quick: boolean
}

export const BENCH_USAGE = `options (flags win over the environment):
  --quick                 2 rounds of 2 s, fewer sessions: a smoke run       BENCH_QUICK=1
  --rounds N              measured rounds per comparison (default 5)         BENCH_ROUNDS
  --seconds S             seconds per variant per round (default 5)          BENCH_SECONDS
  --sessions N            sessions = connections = workers (default 50)      BENCH_SESSIONS
  --cold-sessions N       sessions in the cold-start bench (default 30)      BENCH_COLD_SESSIONS
  --rss-workers N         idle workers in the RSS bench (default 50)         BENCH_RSS_WORKERS
  --density-sessions N    live sessions per kind in the density bench        BENCH_DENSITY_SESSIONS
                          (default: thread 2000; quick 100)
  --warmup-max S          longest warm-up per variant (default 30, quick 4)  BENCH_WARMUP_MAX
  --only a,b              request-path, cold-start, worker-rss, worker-kinds, density, context-compile, store-ops,
                          web-sockets, cluster, thread-transport, soak (only when named: 30 min, BENCH_SOAK_MINUTES; quick 2 min)
  --cpu-prof              request-path: profile the daemon's main thread under load (bench/results/profiles/)`

function positive (name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`)
  return n
}

export function benchOptions (argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      sessions: { type: 'string' },
      'cold-sessions': { type: 'string' },
      'rss-workers': { type: 'string' },
      'density-sessions': { type: 'string' },
      'warmup-max': { type: 'string' },
      only: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help) {
    process.stdout.write(BENCH_USAGE + '\n')
    process.exit(0)
  }
  const quick = values.quick ?? (env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true')
  const densitySessions = values['density-sessions'] ?? env.BENCH_DENSITY_SESSIONS
  const seconds = positive('--seconds', values.seconds ?? env.BENCH_SECONDS, quick ? 2 : 5, 0.5)
  return {
    quick,
    rounds: Math.round(positive('--rounds', values.rounds ?? env.BENCH_ROUNDS, quick ? 2 : 5)),
    seconds,
    warmupChunkSeconds: Math.min(seconds, quick ? 1 : 2),
    warmupMaxSeconds: positive('--warmup-max', values['warmup-max'] ?? env.BENCH_WARMUP_MAX, quick ? 4 : 30),
    sessions: Math.round(positive('--sessions', values.sessions ?? env.BENCH_SESSIONS, 50)),
    coldSessions: Math.round(positive('--cold-sessions', values['cold-sessions'] ?? env.BENCH_COLD_SESSIONS, quick ? 10 : 30)),
    rssWorkers: Math.round(positive('--rss-workers', values['rss-workers'] ?? env.BENCH_RSS_WORKERS, quick ? 20 : 50)),
    densitySessions: densitySessions ? Math.round(positive('--density-sessions', densitySessions, 1)) : (quick ? 100 : undefined),
    only: (values.only ?? env.BENCH_ONLY ?? '').split(',').map(s => s.trim()).filter(Boolean),
    cpuProf: values['cpu-prof'] ?? false
  }
}
