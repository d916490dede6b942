// `npm run bench`: every benchmark in turn, then a summary table, also
// written to bench/results/latest.md. Flags and environment: see options.ts
// (`npm run bench -- --quick`, `BENCH_ROUNDS=3 BENCH_SECONDS=2 npm run bench`).
import { fileURLToPath } from 'node:url'
import { runBenchmarks } from './benchmark.ts'
import { cluster } from './cluster.ts'
import { coldStart } from './cold-start.ts'
import { contextCompile } from './context-compile.ts'
import { density } from './density.ts'
import { requestPath } from './request-path.ts'
import { soak } from './soak.ts'
import { storeOps } from './store-ops.ts'
import { threadTransport } from './thread-transport.ts'
import { workerKinds } from './worker-kinds.ts'
import { webSockets } from './web-sockets.ts'
import { workerRss } from './worker-rss.ts'

const LATEST = fileURLToPath(new URL('./results/latest.md', import.meta.url))

// The in-process transport bench goes last: its threads live in this process.
// The soak runs only when asked for (--only soak): it takes half an hour.
const argv = process.argv.slice(2)
const all = [requestPath, coldStart, workerRss, workerKinds, density, contextCompile, storeOps, webSockets, cluster, threadTransport]
const ok = await runBenchmarks(argv.some(a => a.includes('soak')) ? [...all, soak] : all, argv, { writeTo: LATEST })
process.exitCode = ok ? 0 : 1
