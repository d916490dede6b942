// CPU accounting of a server process from /proc (Linux): the whole process
// (every thread) and its main thread alone, split into time on a CPU and
// time spent runnable but waiting for one. Divided by the requests served
// in between, they say where each request's time went.
import { readFile } from 'node:fs/promises'

export interface ProcSample {
  /** user + system CPU of every thread, ms. */
  processCpuMs: number
  /** The main thread's time on a CPU and waiting in the run queue, ms. */
  mainRunMs: number
  mainWaitMs: number
}

/** USER_HZ: /proc/<pid>/stat counts in these. 100 on every Linux that matters. */
const TICKS_PER_SECOND = 100

export async function sampleProc (pid: number): Promise<ProcSample | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may contain spaces: ") state ppid …"; utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(f[11]) + Number(f[12])
    const [runNs, waitNs] = (await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')).trim().split(' ').map(Number)
    return { processCpuMs: ticks * 1000 / TICKS_PER_SECOND, mainRunMs: runNs / 1e6, mainWaitMs: waitNs / 1e6 }
  } catch {
    // Not Linux, or no schedstat: the figures are extras, the bench goes on without them.
    return null
  }
}

export interface PerRequest {
  processCpuUs: number
  mainRunUs: number
  mainWaitUs: number
}

export function perRequest (a: ProcSample | null, b: ProcSample | null, requests: number): PerRequest | null {
  if (!a || !b || requests === 0) return null
  return {
    processCpuUs: (b.processCpuMs - a.processCpuMs) * 1000 / requests,
    mainRunUs: (b.mainRunMs - a.mainRunMs) * 1000 / requests,
    mainWaitUs: (b.mainWaitMs - a.mainWaitMs) * 1000 / requests
  }
}
