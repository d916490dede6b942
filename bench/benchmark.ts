// What a benchmark is, and how one or several are run: options parsed once,
// each benchmark's figures printed as it goes, a summary table at the end.
// Used by bench/run.ts (all of them) and by each bench file run alone
// (runAlone).
import { cpus } from 'node:os'
import { isInterrupted } from './cleanup.ts'
import { BENCH_USAGE, benchOptions } from './options.ts'
import type { BenchOptions } from './options.ts'
import { summaryTable, writeSummary } from './summary.ts'
import type { SummaryRow } from './summary.ts'

export interface Benchmark {
  name: string
  title: string
  run (opts: BenchOptions): Promise<SummaryRow[]>
}

/** Where `print` writes: the figures as they come, for a person watching. */
export function print (line = ''): void {
  process.stdout.write(line + '\n')
}

export function describeMachine (opts: BenchOptions): string {
  const c = cpus()
  return `node ${process.version}, ${c.length} × ${c[0]?.model.trim() ?? 'cpu'}; ` +
    `${opts.rounds} rounds × ${opts.seconds} s, ${opts.sessions} sessions${opts.quick ? ' (quick)' : ''}`
}

/**
 * Runs the benchmarks in order; one that fails is reported and the others
 * still run. Returns false when any failed.
 */
export async function runBenchmarks (all: readonly Benchmark[], argv: string[], { writeTo }: { writeTo?: string } = {}): Promise<boolean> {
  let opts: BenchOptions
  try {
    opts = benchOptions(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${BENCH_USAGE}\n`)
    return false
  }
  const unknown = opts.only.filter(n => !all.some(b => b.name === n))
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; one of ${all.map(b => b.name).join(', ')}\n`)
    return false
  }
  const chosen = opts.only.length > 0 ? all.filter(b => opts.only.includes(b.name)) : all
  const machine = describeMachine(opts)
  print(`sessiond bench: ${machine}`)
  const rows: SummaryRow[] = []
  let ok = true
  for (const b of chosen) {
    if (isInterrupted()) return false
    print(`\n## ${b.title} (${b.name})\n`)
    const started = performance.now()
    try {
      rows.push(...await b.run(opts))
    } catch (err) {
      ok = false
      process.stderr.write(`bench ${b.name} failed: ${(err as Error).stack ?? String(err)}\n`)
      rows.push({ benchmark: b.name, metric: 'error', value: 'failed', note: (err as Error).message.split('\n')[0] })
    }
    print(`\n(${b.name} took ${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  const table = summaryTable(rows)
  print(`\n## Summary\n\n${machine}\n\n${table}`)
  if (writeTo) {
    await writeSummary(writeTo, `# sessiond bench, ${new Date().toISOString()}\n\n${machine}`, rows)
    print(`\nwritten to ${writeTo}`)
  }
  return ok
}

/** A bench file run by itself (`node bench/<name>.ts [flags]`): this benchmark alone, exit code 1 if it failed. */
export async function runAlone (benchmark: Benchmark): Promise<void> {
  process.exitCode = await runBenchmarks([benchmark], process.argv.slice(2)) ? 0 : 1
}
