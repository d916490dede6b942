// Reads the .cpuprofile files that `node --cpu-prof` writes (one per thread)
// and lists the functions with the most self time: where the CPU went.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOT } from './sessiond-daemon.ts'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  name: string
  ms: number
  share: number
}

/** Nodes that are the profiler's own view of doing nothing. */
const IDLE = new Set(['(idle)', '(program)'])

function where (url: string, line: number): string {
  if (!url) return ''
  let u = url.replace(/^file:\/\//, '')
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length)
  u = u.replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
  return ` ${u}:${line + 1}`
}

function accumulate (profile: CpuProfile, into: Map<string, number>): number {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  let busy = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])
    // The delta after a sample is the time it stood for.
    const us = profile.timeDeltas[i + 1] ?? 0
    if (!node || IDLE.has(node.callFrame.functionName)) continue
    const key = (node.callFrame.functionName || '(anonymous)') + where(node.callFrame.url, node.callFrame.lineNumber)
    into.set(key, (into.get(key) ?? 0) + us)
    busy += us
  }
  return busy
}

/**
 * The top self-time functions of the main thread and, added together, of
 * every worker thread. Files are named CPU.<date>.<time>.<pid>.<tid>.<n>.cpuprofile;
 * tid 0 is the main thread.
 */
export async function summariseCpuProfiles (dir: string, top = 15): Promise<{ main: SelfTime[], workers: SelfTime[], mainBusyMs: number, workersBusyMs: number, workerFiles: number }> {
  const files = (await readdir(dir)).filter(f => f.endsWith('.cpuprofile'))
  const main = new Map<string, number>()
  const workers = new Map<string, number>()
  let mainBusy = 0
  let workersBusy = 0
  let workerFiles = 0
  for (const f of files) {
    const tid = Number(f.split('.')[4])
    const profile = JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile
    if (tid === 0) mainBusy += accumulate(profile, main)
    else {
      workersBusy += accumulate(profile, workers)
      workerFiles++
    }
  }
  const rank = (m: Map<string, number>, busy: number): SelfTime[] => [...m]
    .sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }))
  return { main: rank(main, mainBusy), workers: rank(workers, workersBusy), mainBusyMs: mainBusy / 1000, workersBusyMs: workersBusy / 1000, workerFiles }
}

export function formatSelfTimes (rows: readonly SelfTime[]): string {
  return rows.map(r => `  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`).join('\n')
}
