// Benchmark: the context kind's compile-once choice (issue 10), measured.
// A realm's handler is instantiated in N fresh V8 contexts two ways, in a
// child Node (bench/fixtures/context-compile-child.ts, with
// --experimental-vm-modules for the second way):
//   bundle   one esbuild CommonJS script of the whole module graph, compiled
//            once per thread, run once per context (what the kind does);
//   modules  a vm.SourceTextModule graph per context, each module compiled
//            in that context (with V8's cached data), ESM only.
// Printed per handler: modules in the graph, the build, and per context the
// time and the heap each way.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import type { BenchOptions } from './options.ts'
import { HELLO_HANDLER, ROOT } from './sessiond-daemon.ts'
import { fmt } from './stats.ts'
import type { SummaryRow } from './summary.ts'

const CHILD = fileURLToPath(new URL('./fixtures/context-compile-child.ts', import.meta.url))
const HANDLERS: ReadonlyArray<[string, string]> = [
  ['hello', HELLO_HANDLER],
  ['hono-notes', join(ROOT, 'examples/hono-notes/handler.ts')],
  ['express-app', join(ROOT, 'examples/express-app/handler.ts')]
]

interface PerContext { ms: number, heapMiB: number }
interface Measured { modules: number, commonJs: boolean, buildMs: number, bundleBytes: number, bundle: PerContext, graph: PerContext | null }

async function measure (handler: string, contexts: number): Promise<Measured> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--experimental-vm-modules', '--expose-gc', '--no-warnings', CHILD, handler, String(contexts)], { cwd: ROOT, maxBuffer: 1 << 20 })
  return JSON.parse(stdout) as Measured
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const contexts = opts.quick ? 50 : 200
  const rows: SummaryRow[] = []
  print(`${contexts} contexts per handler and way; heap after a full GC`)
  print(`${'handler'.padEnd(12)} ${'modules'.padStart(7)} ${'build'.padStart(8)} ${'bundle'.padStart(9)}   ${'bundle: ms/ctx'.padStart(14)} ${'KiB/ctx'.padStart(8)}   ${'modules: ms/ctx'.padStart(15)} ${'KiB/ctx'.padStart(8)}`)
  for (const [name, file] of HANDLERS) {
    const m = await measure(file, contexts)
    const graph = m.graph
    print(`${name.padEnd(12)} ${String(m.modules).padStart(7)} ${fmt(m.buildMs, 0).padStart(5)} ms ${fmt(m.bundleBytes / 1024, 0).padStart(5)} KiB   ${fmt(m.bundle.ms, 3).padStart(14)} ${fmt(m.bundle.heapMiB * 1024, 0).padStart(8)}   ${(graph ? fmt(graph.ms, 3) : 'n/a (CJS)').padStart(15)} ${(graph ? fmt(graph.heapMiB * 1024, 0) : '').padStart(8)}`)
    rows.push({
      benchmark: 'context-compile',
      metric: `${name}: instantiate per context, bundle / module graph`,
      value: graph ? `${fmt(m.bundle.ms, 3)} / ${fmt(graph.ms, 3)} ms, ${fmt(m.bundle.heapMiB * 1024, 0)} / ${fmt(graph.heapMiB * 1024, 0)} KiB` : `${fmt(m.bundle.ms, 3)} ms, ${fmt(m.bundle.heapMiB * 1024, 0)} KiB (graph: n/a, CommonJS)`,
      note: `${m.modules} modules`
    })
  }
  return rows
}

export const contextCompile: Benchmark = {
  name: 'context-compile',
  title: 'Context kind: one bundled script per thread against a module graph per context',
  run
}

if (import.meta.main) await runAlone(contextCompile)
