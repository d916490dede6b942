// Warm-up until the figure stops climbing. Every worker is its own V8
// isolate that JIT-compiles its own copy of the code (undici's Request and
// Response, the SDK, the handler), and with 50 workers each sees a fiftieth
// of the requests: a fixed few seconds leaves them half in the interpreter,
// and the first rounds would measure compilation. So: run short chunks
// until two in a row are no better than the best before them by more than
// `gain` (one alone could be noise on a busy machine), or until `maxSeconds`.
import { print } from './benchmark.ts'
import { fmt } from './stats.ts'

export interface WarmUpOptions {
  label: string
  chunkSeconds: number
  maxSeconds: number
  /** Stop when a chunk improves on the best so far by less than this fraction. */
  gain?: number
}

export async function warmUp (runChunk: (seconds: number) => Promise<number>, { label, chunkSeconds, maxSeconds, gain = 0.05 }: WarmUpOptions): Promise<void> {
  const figures: number[] = []
  let best = 0
  let spent = 0
  let flat = 0
  while (spent < maxSeconds) {
    const rps = await runChunk(chunkSeconds)
    spent += chunkSeconds
    figures.push(rps)
    flat = rps > best * (1 + gain) ? 0 : flat + 1
    best = Math.max(best, rps)
    if (flat >= 2) break
  }
  print(`warm-up ${label}: ${figures.map(f => fmt(f, 0)).join(' → ')} req/s (${spent} s)`)
}
