// Memory of a process from /proc (Linux), in bytes. Two sources that count
// differently, so each benchmark names the one it reports: VmRSS from
// /proc/<pid>/status, and Rss and Pss from /proc/<pid>/smaps_rollup, where
// PSS shares each page among the processes mapping it.
import { readFile } from 'node:fs/promises'

export const MIB = 1024 * 1024

/** A `Name:   1234 kB` line of a /proc file, in bytes; null when the file has no such line. */
function kbLine (text: string, name: string): number | null {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)
  return m ? Number(m[1]) * 1024 : null
}

/** The resident set, VmRSS in /proc/<pid>/status. */
export async function vmRss (pid: number): Promise<number> {
  const rss = kbLine(await readFile(`/proc/${pid}/status`, 'utf8'), 'VmRSS')
  if (rss === null) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return rss
}

export interface SmapsMemory { rss: number, pss: number }

/** Rss and Pss in /proc/<pid>/smaps_rollup; a line it lacks counts 0. */
export async function smapsRollup (pid: number): Promise<SmapsMemory> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')
  return { rss: kbLine(text, 'Rss') ?? 0, pss: kbLine(text, 'Pss') ?? 0 }
}
