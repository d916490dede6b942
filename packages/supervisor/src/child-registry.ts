import { readFile } from 'node:fs/promises'
import writeFileAtomic from 'write-file-atomic'
import { killAllOf } from './transient-accounts.ts'

/** A child worker's process group, and when its leader started (to tell a reused pid from it). */
interface Entry { pgid: number, start: string }

/** What the file holds: the live workers' groups, and the transient uids lent to them. */
interface Recorded { groups: Entry[], uids: number[] }

/** The start time of a process (clock ticks since boot, /proc/PID/stat field 22), or null when it is gone. */
async function startTime (pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/**
 * The process groups of the child workers a supervisor started, kept in a
 * file of its data directory, so that a supervisor starting after one that
 * crashed (kill -9, OOM, power) kills what it left: a worker's leader dies
 * with its supervisor (the sandbox's parent-death signal), but helpers in
 * its process group would live on, and so would anything a transient uid
 * ran, wherever it moved. Writes coalesce: one in flight at a time, the
 * latest state written next.
 */
export class ChildRegistry {
  #file: string
  #live = new Map<number, Entry>()
  #uids = new Set<number>()
  #writing: Promise<void> | null = null
  #dirty = false

  constructor (file: string) {
    this.#file = file
  }

  /** Kills what a previous supervisor recorded and did not stop; answers how many groups and uids there were. */
  async reapLeftovers (): Promise<number> {
    let recorded: Recorded
    try {
      recorded = JSON.parse(await readFile(this.#file, 'utf8')) as Recorded
    } catch {
      return 0 // none recorded: a first start, or a clean stop
    }
    let reaped = 0
    for (const uid of recorded.uids ?? []) {
      await killAllOf(uid)
      reaped++
    }
    for (const { pgid, start } of recorded.groups ?? []) {
      const now = await startTime(pgid)
      // A live leader that started at another time is someone else's process under a reused pid.
      if (now !== null && now !== start) continue
      try {
        process.kill(-pgid, 'SIGKILL')
        reaped++
      } catch {
        // The group is gone too.
      }
    }
    this.#save()
    await this.#writing
    return reaped
  }

  async add (pid: number): Promise<void> {
    const start = await startTime(pid)
    if (start === null) return
    this.#live.set(pid, { pgid: pid, start })
    this.#save()
  }

  remove (pid: number): void {
    if (this.#live.delete(pid)) this.#save()
  }

  /** Records a transient uid lent (true) or given back (false). */
  uid (uid: number, leased: boolean): void {
    if (leased) this.#uids.add(uid)
    else this.#uids.delete(uid)
    this.#save()
  }

  /** Resolves once what was recorded so far is on disk. */
  async flush (): Promise<void> {
    while (this.#writing) await this.#writing
  }

  #save (): void {
    this.#dirty = true
    if (this.#writing) return
    this.#writing = (async () => {
      while (this.#dirty) {
        this.#dirty = false
        const recorded: Recorded = { groups: [...this.#live.values()], uids: [...this.#uids] }
        await writeFileAtomic(this.#file, JSON.stringify(recorded), { mode: 0o600 }).catch(() => {
          // A full disk costs the crash clean-up, never a worker.
        })
      }
      this.#writing = null
    })()
  }
}
