// The naive anchors that sessiond's kinds are measured against in the same
// run (bench/request-path.ts, issue 10): what the simplest gateway of each
// shape reaches on this machine, with no SDK, limits or login.
import { fileURLToPath } from 'node:url'
import { startServerProcess } from '../server-process.ts'
import { startNginxPerSession } from './nginx-per-session.ts'

const NAIVE_GATEWAY = fileURLToPath(new URL('./naive-gateway.ts', import.meta.url))

/** A server under load: where to send it, the pid whose main thread does the routing, how to stop it. */
export interface RunningServer {
  url: string
  pid: number
  stop (): Promise<void>
}

export interface Anchor {
  label: string
  /** Starts it for these session cookie values (the `sessiond` cookie's value as clients send it); `dir` for its files. */
  start (sessions: readonly string[], dir: string): Promise<RunningServer>
  /** It answers GET /hello/count with the session's own counter. */
  counts: boolean
}

function naive (mode: string[]): Anchor['start'] {
  return (_sessions, dir) => startServerProcess(`naive gateway ${mode.join(' ')}`, [NAIVE_GATEWAY, ...mode], { cwd: dir })
}

export const ANCHORS = {
  'naive-thread': { label: 'naive gateway → thread per session', start: naive(['thread-per-session']), counts: true },
  'naive-vm-1': { label: 'naive gateway → vm contexts on 1 thread', start: naive(['shared-vm', '1']), counts: true },
  'naive-vm-2': { label: 'naive gateway → vm contexts on 2 threads', start: naive(['shared-vm', '2']), counts: true },
  nginx: { label: 'nginx → process per session', start: sessions => startNginxPerSession(sessions), counts: false }
} satisfies Record<string, Anchor>

export type AnchorKey = keyof typeof ANCHORS
