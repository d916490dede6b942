// Benchmark: WebSockets (issue 12).
//
//   echo     50 sockets on 50 sessions (--sessions), each a closed loop of
//            32-byte messages echoed by its own worker: messages per second
//            and the p99 round trip, against a bare `ws` echo server in one
//            process (the ratio).
//   held     sockets held open with their workers hibernated: the daemon's
//            resident set per socket, as sockets per GiB (goal >= 100,000).
//   resume   on one parked socket per session, the time from a message to
//            its echo by the worker that resumed for it: p50, p99.
//
// Clients run in this process; the daemon's memory is its own process's.
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { tempDir } from './cleanup.ts'
import type { BenchOptions } from './options.ts'
import { MIB, vmRss } from './proc-memory.ts'
import { startServerProcess } from './server-process.ts'
import type { ServerProcess } from './server-process.ts'
import { startSessiond } from './sessiond-daemon.ts'
import { loginMany } from './sessions.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'

const ECHO = fileURLToPath(new URL('./fixtures/ws-echo.ts', import.meta.url))
const BARE = fileURLToPath(new URL('./fixtures/bare-ws-echo.ts', import.meta.url))
const MESSAGE = 'x'.repeat(32)
const GIB = 1024 * MIB
/** Sockets per session in the held bench: many sessions' worth without as many logins. */
const SOCKETS_PER_SESSION = 100
/** The realm's socket idle timeout in the held bench: longer than opening every socket takes. */
const IDLE_MS = 5000
const OPEN_CONCURRENCY = 8

function open (url: string, cookie?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: cookie ? { cookie } : {}, perMessageDeflate: false })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused with ${res.statusCode}`)))
  })
}

/** Every socket echoes in a closed loop for `seconds`: messages per second, and the round trips (ms). */
async function echoLoad (sockets: WebSocket[], seconds: number): Promise<{ rate: number, rtts: number[] }> {
  const rtts: number[] = []
  let count = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(sockets.map(ws => new Promise<void>((resolve) => {
    let sent = performance.now()
    const onMessage = () => {
      const now = performance.now()
      rtts.push(now - sent)
      count++
      if (now >= end) {
        ws.off('message', onMessage)
        return resolve()
      }
      sent = now
      ws.send(MESSAGE)
    }
    ws.on('message', onMessage)
    ws.send(MESSAGE)
  })))
  return { rate: count / seconds, rtts }
}

async function echo (opts: BenchOptions): Promise<SummaryRow[]> {
  const n = opts.sessions
  const daemon = await startSessiond({ realms: [{ name: 'echo', kind: 'thread', handler: ECHO }] })
  const dir = tempDir('bare-ws')
  let bare: ServerProcess | null = null
  try {
    bare = await startServerProcess('bare ws', [BARE], { cwd: dir.path })
    const cookies = await loginMany(daemon.url, n)
    // One at a time: each first handshake starts a worker, and 50 thread starts at once would outlast the handshake timeout.
    const ours: WebSocket[] = []
    for (const c of cookies) ours.push(await open(daemon.url.replace('http', 'ws') + '/echo/', c))
    const theirs = await Promise.all(cookies.map(() => open(bare!.url.replace('http', 'ws') + '/')))
    await echoLoad(ours, Math.min(2, opts.warmupMaxSeconds))
    await echoLoad(theirs, Math.min(2, opts.warmupMaxSeconds))
    const rates: Record<'ours' | 'theirs', number[]> = { ours: [], theirs: [] }
    const rtts: Record<'ours' | 'theirs', number[]> = { ours: [], theirs: [] }
    for (let r = 0; r < opts.rounds; r++) {
      for (const [name, sockets] of [['ours', ours], ['theirs', theirs]] as const) {
        const m = await echoLoad(sockets, opts.seconds)
        rates[name].push(m.rate)
        // Not push(...): a full run's round trips are more arguments than a call takes.
        for (const rtt of m.rtts) rtts[name].push(rtt)
        print(`round ${r + 1} ${name === 'ours' ? 'sessiond' : 'bare ws'}: ${fmt(m.rate, 0)} msg/s, p99 ${fmt(percentile(m.rtts, 99))} ms`)
      }
    }
    for (const ws of [...ours, ...theirs]) ws.terminate()
    const ratio = median(rates.ours) / median(rates.theirs)
    print(`sessiond ${fmt(median(rates.ours), 0)} msg/s (p99 ${fmt(percentile(rtts.ours, 99))} ms) vs bare ws ${fmt(median(rates.theirs), 0)} msg/s (p99 ${fmt(percentile(rtts.theirs, 99))} ms): ${fmt(ratio)}×`)
    return [
      { benchmark: 'web-sockets', metric: `echo msg/s, ${n} sockets on ${n} sessions`, value: fmt(median(rates.ours), 0), note: `bare ws echo ${fmt(median(rates.theirs), 0)}: ${fmt(ratio)}×` },
      { benchmark: 'web-sockets', metric: 'echo p99 round trip (ms)', value: fmt(percentile(rtts.ours, 99)), note: `bare ws ${fmt(percentile(rtts.theirs, 99))}` }
    ]
  } finally {
    await bare?.stop()
    dir.remove()
    await daemon.stop()
  }
}

/** Sockets held with their workers hibernated, then one message per session that resumes its worker. */
async function heldAndResumed (opts: BenchOptions): Promise<SummaryRow[]> {
  const total = opts.quick ? 400 : Number(process.env.BENCH_HELD_SOCKETS ?? 10_000)
  const sessions = Math.ceil(total / SOCKETS_PER_SESSION)
  const daemon = await startSessiond({
    realms: [{ name: 'echo', kind: 'thread', handler: ECHO, settings: { socketIdleTimeout: `${IDLE_MS}ms`, startTimeout: '60s', webSocket: { maxPerSession: SOCKETS_PER_SESSION, handshakeTimeout: '60s' } } }],
    config: { limits: { maxConnections: total + 1000, webSocketPing: '10m' } }
  })
  const sockets: WebSocket[] = []
  try {
    const cookies = await loginMany(daemon.url, sessions)
    const url = daemon.url.replace('http', 'ws') + '/echo/'
    // Each session's first socket starts its worker; once they have all hibernated, the daemon's memory
    // before the held sockets. Workers are gone at both readings: the difference is the sockets'.
    for (const c of cookies) sockets.push(await open(url, c))
    await sleep(IDLE_MS + 3000)
    const before = await vmRss(daemon.pid)
    // A few handshakes in flight at once; each session's worker resumes for its next socket and stays until the last.
    let next = 0
    const opening = performance.now()
    await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, async () => {
      while (next < total - sessions) sockets.push(await open(url, cookies[next++ % sessions]))
    }))
    print(`opened ${total - sessions} sockets in ${fmt((performance.now() - opening) / 1000)} s`)
    // Every worker hibernates again; the sockets stay open at the gateway.
    await sleep(IDLE_MS + 3000)
    const after = await vmRss(daemon.pid)
    const perSocket = (after - before) / (total - sessions)
    const perGib = GIB / perSocket
    print(`${total} sockets on ${sessions} sessions, workers hibernated: ${fmt(perSocket / 1024)} KiB each, ${fmt(perGib, 0)} sockets per GiB`)

    const latencies: number[] = []
    for (let s = 0; s < sessions; s++) {
      const ws = sockets[s]
      const t0 = performance.now()
      await new Promise<void>((resolve) => {
        ws.once('message', () => resolve())
        ws.send(MESSAGE)
      })
      latencies.push(performance.now() - t0)
    }
    print(`resume on message over ${sessions} sessions: p50 ${fmt(median(latencies))} ms, p99 ${fmt(percentile(latencies, 99))} ms`)
    return [
      { benchmark: 'web-sockets', metric: `sockets held per GiB, workers hibernated (${total} sockets)`, value: fmt(perGib, 0), note: 'goal >= 100,000' },
      { benchmark: 'web-sockets', metric: 'resume on message p50 (ms)', value: fmt(median(latencies)), note: `${sessions} sessions, thread kind` },
      { benchmark: 'web-sockets', metric: 'resume on message p99 (ms)', value: fmt(percentile(latencies, 99)) }
    ]
  } finally {
    for (const ws of sockets) ws.terminate()
    await daemon.stop()
  }
}

export const webSockets: Benchmark = {
  name: 'web-sockets',
  title: 'WebSockets: echo against bare ws, sockets held per GiB while workers hibernate, resume on message',
  async run (opts) {
    return [...(process.env.BENCH_HELD_ONLY ? [] : await echo(opts)), ...await heldAndResumed(opts)]
  }
}

if (import.meta.main) await runAlone(webSockets)
