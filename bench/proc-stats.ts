// CPU accounting of a server process from /proc (Linux): the whole process
// (every thread), its main thread's CPU (utime + stime of
// /proc/<pid>/task/<pid>/stat), and the time that thread spent runnable but
// waiting for a CPU (/proc/<pid>/task/<pid>/schedstat). Divided by the
// requests served in between, they say where each request's time went.
import { readFile } from 'node:fs/promises'

export interface ProcSample {
  /** user + system CPU of every thread, ms. */
  processCpuMs: number
  /** user + system CPU of the main thread (the event loop), ms. */
  mainCpuMs: number
  /** The main thread's time runnable in the run queue, waiting for a CPU, ms. */
  mainWaitMs: number
}

/** USER_HZ: /proc/<pid>/stat counts in these. 100 on every Linux that matters. */
const TICKS_PER_SECOND = 100

/** utime + stime of a /proc stat line, in ms. */
function statCpuMs (stat: string): number {
  // Fields after the command name, which may contain spaces: ") state ppid …"; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * 1000 / TICKS_PER_SECOND
}

export async function sampleProc (pid: number): Promise<ProcSample | null> {
  try {
    const [process, main, schedstat] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
    ])
    const waitNs = Number(schedstat.trim().split(' ')[1])
    return { processCpuMs: statCpuMs(process), mainCpuMs: statCpuMs(main), mainWaitMs: waitNs / 1e6 }
  } catch {
    // Not Linux, or no schedstat: the figures are extras, the bench goes on without them.
    return null
  }
}

export interface PerRequest {
  processCpuUs: number
  mainCpuUs: number
  mainWaitUs: number
}

export function perRequest (a: ProcSample | null, b: ProcSample | null, requests: number): PerRequest | null {
  if (!a || !b || requests === 0) return null
  return {
    processCpuUs: (b.processCpuMs - a.processCpuMs) * 1000 / requests,
    mainCpuUs: (b.mainCpuMs - a.mainCpuMs) * 1000 / requests,
    mainWaitUs: (b.mainWaitMs - a.mainWaitMs) * 1000 / requests
  }
}
