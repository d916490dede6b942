import { readFile, readdir, readlink } from 'node:fs/promises'
import { groupRssMb } from './memory-watchdog.ts'
import type { WorkerUsage } from './kinds/worker-kind.ts'

/**
 * Clock ticks per second in /proc/PID/stat. Node cannot call sysconf(_SC_CLK_TCK);
 * Linux has reported USER_HZ = 100 to user space on every architecture it
 * runs on (times(2): "the number of clock ticks per second … 100").
 */
const CLK_TCK = 100

/** A child worker's cost from /proc: its tree's resident memory, its CPU time, its open sockets. */
export async function processUsage (pid: number): Promise<WorkerUsage> {
  const [rssMb, cpuSeconds, openSockets] = await Promise.all([groupRssMb(pid), cpuOf(pid), socketsOf(pid)])
  return { rssBytes: rssMb > 0 ? Math.round(rssMb * 1024 * 1024) : null, heapUsedBytes: null, cpuSeconds, openSockets }
}

/** utime + stime + cutime + cstime (fields 14-17), after the parenthesised command name that may hold spaces. */
async function cpuOf (pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // f[0] is field 3 (state): field n is f[n - 3].
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK
  } catch {
    // Gone meanwhile: nothing to measure.
    return null
  }
}

async function socketsOf (pid: number): Promise<number | null> {
  let fds: string[]
  try {
    fds = await readdir(`/proc/${pid}/fd`)
  } catch {
    // Gone, or not ours to look into (a daemon that is not root, a child of another uid).
    return null
  }
  let n = 0
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    if (target.startsWith('socket:')) n++
  }
  return n
}
