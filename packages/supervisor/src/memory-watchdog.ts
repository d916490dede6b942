import { readFile, readdir } from 'node:fs/promises'

/** The resident memory of a process and everything it started, in MiB; 0 once it is gone. */
export async function groupRssMb (pid: number): Promise<number> {
  let kb = 0
  const seen = new Set<number>()
  const visit = async (p: number): Promise<void> => {
    if (seen.has(p)) return
    seen.add(p)
    kb += await rssKb(p)
    for (const child of await childrenOf(p)) await visit(child)
  }
  await visit(pid)
  return kb / 1024
}

async function rssKb (pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'latin1')
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** Children of every thread of the process (Linux's /proc/PID/task/TID/children). */
async function childrenOf (pid: number): Promise<number[]> {
  let tids: string[]
  try {
    tids = await readdir(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const out: number[] = []
  for (const tid of tids) {
    try {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'latin1')
      for (const c of text.split(' ')) if (c.trim()) out.push(Number(c))
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out
}

export interface Watched {
  pid: number | undefined
  limitMb: number
  kill: (rssMb: number) => void
  /** Where the kernel enforces the limit: whether it acted (it ended one process; the rest must go too). */
  oomKilled?: () => boolean
}

/**
 * Samples the resident memory of child workers with a limit and kills the
 * ones over it. V8's heap limit covers a Node process's heap only; this
 * covers any executable and what it spawned (buffers, native memory, helper
 * processes). One timer for all workers; a sample is one read of /proc per
 * process in a worker's tree.
 */
export class MemoryWatchdog {
  #timer: NodeJS.Timeout
  #sampling = false
  #targets: () => Iterable<Watched>

  constructor (targets: () => Iterable<Watched>, periodMs: number) {
    this.#targets = targets
    this.#timer = setInterval(() => void this.sample(), periodMs)
    this.#timer.unref()
  }

  async sample (): Promise<void> {
    // A slow /proc must not stack samples up.
    if (this.#sampling) return
    this.#sampling = true
    try {
      for (const t of this.#targets()) {
        if (t.pid === undefined) continue
        if (t.oomKilled?.()) {
          t.kill(t.limitMb)
          continue
        }
        const mb = await groupRssMb(t.pid)
        if (mb > t.limitMb) t.kill(Math.round(mb))
      }
    } finally {
      this.#sampling = false
    }
  }

  close (): void {
    clearInterval(this.#timer)
  }
}
