// A CPU profile of a running server's main thread, taken over the V8
// inspector for exactly the span of some load (the server runs with
// `--inspect=127.0.0.1:0`; Node's global WebSocket speaks the protocol),
// written as a .cpuprofile that Chrome DevTools and VS Code open; and its
// functions with the most self time: where the CPU went.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ROOT } from './sessiond-daemon.ts'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  name: string
  ms: number
  share: number
}

/** The inspector's address in what a `node --inspect` process printed. */
export function inspectorUrl (output: string): string {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(output)
  if (!m) throw new Error(`no inspector address in the server's output (was it started with --inspect?):\n${output}`)
  return m[1]
}

/** Profiles the main thread behind `wsUrl` while `during` runs, and writes the profile to `file`. */
export async function profileWhile (wsUrl: string, file: string, during: () => Promise<unknown>, { intervalUs = 250 } = {}): Promise<CpuProfile> {
  const ws = new WebSocket(wsUrl)
  const pending = new Map<number, PromiseWithResolvers<any>>()
  let nextId = 1
  ws.addEventListener('message', e => {
    const m = JSON.parse(String(e.data)) as { id?: number, result?: unknown, error?: { message: string } }
    const p = m.id === undefined ? undefined : pending.get(m.id)
    if (!p) return
    pending.delete(m.id!)
    if (m.error) p.reject(new Error(`inspector: ${m.error.message}`))
    else p.resolve(m.result)
  })
  const send = <T>(method: string, params: object = {}): Promise<T> => {
    const id = nextId++
    const p = Promise.withResolvers<T>()
    pending.set(id, p)
    ws.send(JSON.stringify({ id, method, params }))
    return p.promise
  }
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true })
    ws.addEventListener('error', () => reject(new Error(`could not reach the inspector at ${wsUrl}`)), { once: true })
  })
  try {
    await send('Profiler.enable')
    await send('Profiler.setSamplingInterval', { interval: intervalUs })
    await send('Profiler.start')
    await during()
    const { profile } = await send<{ profile: CpuProfile }>('Profiler.stop')
    await send('Profiler.disable')
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, JSON.stringify(profile))
    return profile
  } finally {
    ws.close()
  }
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

/** The `top` functions by self time, their share of the busy (not idle) time, and that busy time. */
export function topSelfTimes (profile: CpuProfile, top = 15): { top: SelfTime[], busyMs: number } {
  const byId = new Map(profile.nodes.map(n => [n.id, n]))
  const self = new Map<string, number>()
  let busy = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i])
    // The delta after a sample is the time it stood for.
    const us = profile.timeDeltas[i + 1] ?? 0
    if (!node || IDLE.has(node.callFrame.functionName)) continue
    const key = (node.callFrame.functionName || '(anonymous)') + where(node.callFrame.url, node.callFrame.lineNumber)
    self.set(key, (self.get(key) ?? 0) + us)
    busy += us
  }
  const ranked = [...self].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: us / 1000, share: busy > 0 ? us / busy : 0 }))
  return { top: ranked, busyMs: busy / 1000 }
}

export function formatSelfTimes (rows: readonly SelfTime[]): string {
  return rows.map(r => `  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`).join('\n')
}
