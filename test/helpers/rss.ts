import { readFile, writeFile } from 'node:fs/promises'

async function field (pid: number, name: string): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
  if (!m) throw new Error(`no ${name} in /proc/${pid}/status`)
  return Number(m[1]) * 1024
}

export const rss = (pid: number) => field(pid, 'VmRSS')

/**
 * Tracks a process's peak RSS from now on. Linux resets the high-water mark
 * on `echo 5 > /proc/PID/clear_refs`; where that is refused, sampling stands in.
 */
export async function peakTracker (pid: number): Promise<{ baseline: number, peak: () => Promise<number> }> {
  const baseline = await rss(pid)
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5')
    return { baseline, peak: () => field(pid, 'VmHWM') }
  } catch {
    let max = baseline
    const timer = setInterval(() => { rss(pid).then(v => { max = Math.max(max, v) }, () => {}) }, 10)
    return { baseline, peak: async () => { clearInterval(timer); return Math.max(max, await rss(pid)) } }
  }
}
