// A child worker's maxRssMb, enforced by the kernel where the machine
// offers it: a memory cgroup of its own per worker, so that the worker is
// stopped at its limit, not after the next sample of the RSS watchdog
// (memory-watchdog.ts, which stays as the fallback and the backstop).
//
//   cgroup v2, when the supervisor's own cgroup delegates the memory
//   controller to its children (systemd Delegate=yes): memory.max, and
//   memory.oom.group so that the kernel ends the whole worker at once;
//   cgroup v1 (a writable memory hierarchy): memory.limit_in_bytes and its
//   swap twin; the kernel ends the process that tipped it over, and the
//   supervisor then ends the worker's process group (MemoryWatchdog polls
//   the oom_kill counter).
//   neither: nothing here; the watchdog samples.
import { readFileSync } from 'node:fs'
import { appendFile, mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const MIB = 1024 * 1024

/** One worker's cgroup. */
export interface MemoryCgroup {
  /**
   * Whether the kernel's OOM killer acted in it (the worker went over its
   * limit). Synchronous (one small read of a cgroup file), so that a worker's
   * exit is reported in the same turn as the exit itself.
   */
  oomKilled (): boolean
  /** Removes the cgroup once the worker's processes are gone. */
  remove (): Promise<void>
}

interface Flavour {
  root: string
  limit: (dir: string, bytes: number) => Promise<void>
  oomKills: (dir: string) => number
}

const V2: Omit<Flavour, 'root'> = {
  async limit (dir, bytes) {
    await writeFile(join(dir, 'memory.max'), String(bytes))
    await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => { /* no swap accounting: nothing to cap */ })
    await writeFile(join(dir, 'memory.oom.group'), '1').catch(() => { /* older kernels: the watchdog ends the group */ })
  },
  oomKills (dir) {
    return Number(/^oom_kill (\d+)/m.exec(readFileSync(join(dir, 'memory.events'), 'latin1'))?.[1] ?? 0)
  }
}

const V1: Omit<Flavour, 'root'> = {
  async limit (dir, bytes) {
    await writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes))
    // Without these the worker would swap rather than stop at its limit.
    await writeFile(join(dir, 'memory.swappiness'), '0').catch(() => {})
    await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(bytes)).catch(() => {})
  },
  oomKills (dir) {
    const control = readFileSync(join(dir, 'memory.oom_control'), 'latin1')
    // `oom_kill` since Linux 4.13; before it, a failed charge is the sign.
    const kills = /^oom_kill (\d+)/m.exec(control)?.[1]
    if (kills !== undefined) return Number(kills)
    return Number(readFileSync(join(dir, 'memory.failcnt'), 'latin1'))
  }
}

/** This process's cgroup under the hierarchy that has the memory controller, if the supervisor may make children there. */
async function detect (): Promise<Flavour | null> {
  const own = await readFile('/proc/self/cgroup', 'latin1').catch(() => '')
  const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(own)?.[1]
  if (v1 !== undefined) return { root: join('/sys/fs/cgroup/memory', v1), ...V1 }
  const v2 = /^0::(.*)$/m.exec(own)?.[1]
  if (v2 !== undefined) {
    const root = join('/sys/fs/cgroup', v2)
    const delegated = await readFile(join(root, 'cgroup.subtree_control'), 'latin1').catch(() => '')
    if (/\bmemory\b/.test(delegated)) return { root, ...V2 }
  }
  return null
}

/** Empty cgroups a supervisor that is gone (a crash) left beside ours: a cgroup is removed with rmdir once empty. */
async function removeLeftovers (root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = /^sessiond-(\d+)$/.exec(name)?.[1]
    if (pid === undefined || isAlive(Number(pid))) continue
    const parent = join(root, name)
    for (const child of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
      if (child.isDirectory()) await rmdir(join(parent, child.name)).catch(() => {})
    }
    await rmdir(parent).catch(() => { /* still holds a process: ChildRegistry kills it, the next start removes it */ })
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The supervisor's memory cgroups: one parent (`sessiond-<pid>`) under its
 * own cgroup, one child per limited worker. Answers null for every worker
 * when the machine gives no usable hierarchy, once, after one try.
 */
export class KernelMemoryLimits {
  #ready: Promise<Flavour & { parent: string } | null> | null = null
  #next = 0

  #setup (): Promise<Flavour & { parent: string } | null> {
    this.#ready ??= (async () => {
      const flavour = await detect()
      if (!flavour) return null
      const parent = join(flavour.root, `sessiond-${process.pid}`)
      await removeLeftovers(flavour.root)
      try {
        await mkdir(parent, { recursive: true })
        return { ...flavour, parent }
      } catch {
        return null // read-only or not ours: the watchdog samples instead
      }
    })()
    return this.#ready
  }

  /** Puts the process (and what it starts from now on) under a limit of `limitMb`; null when the kernel cannot. */
  async attach (pid: number, limitMb: number): Promise<MemoryCgroup | null> {
    const cg = await this.#setup()
    if (!cg) return null
    const dir = join(cg.parent, `w${this.#next++}`)
    try {
      await mkdir(dir)
      await cg.limit(dir, limitMb * MIB)
      await appendFile(join(dir, 'cgroup.procs'), `${pid}\n`)
    } catch {
      await rmdir(dir).catch(() => {})
      return null
    }
    return {
      oomKilled: () => {
        try {
          return cg.oomKills(dir) > 0
        } catch {
          return false // removed meanwhile
        }
      },
      remove: () => rmdir(dir).catch(() => { /* a process lingers: the next start removes it (removeLeftovers) */ })
    }
  }

  /** Removes the parent cgroup when the supervisor closes (its children are gone by then). */
  async close (): Promise<void> {
    const cg = await this.#ready
    if (cg) await rmdir(cg.parent).catch(() => {})
  }
}
