// Raw HTTP/1.1 over a socket: for requests no client library will send.
import { connect } from 'node:net'
import type { Socket } from 'node:net'

export interface RawAnswer {
  /** The status of the first response, or 0 when none came. */
  status: number
  /** Everything received. */
  text: string
  /** Whether the server closed the connection. */
  closed: boolean
}

/** Opens a connection to the daemon's address. */
export function open (url: string): Promise<Socket> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s))
    s.once('error', reject)
  })
}

/**
 * Writes `bytes` and reads until the server closes or `idleMs` pass without
 * data after the first response began (or `timeoutMs` in all).
 */
export async function raw (url: string, bytes: string | Buffer, { idleMs = 300, timeoutMs = 5000 } = {}): Promise<RawAnswer> {
  const s = await open(url)
  return answer(s, bytes, { idleMs, timeoutMs })
}

/** Reads what the server sends on `s` after writing `bytes` (none when null), until it closes, `idleMs` pass without data, or `timeoutMs` in all. */
export function answer (s: Socket, bytes: string | Buffer | null, { idleMs = 300, timeoutMs = 5000 } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    let text = ''
    let idle: NodeJS.Timeout | undefined
    const done = (closed: boolean) => {
      clearTimeout(idle)
      clearTimeout(all)
      s.removeAllListeners('data')
      if (!closed) s.destroy()
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      resolve({ status: m ? Number(m[1]) : 0, text, closed })
    }
    const all = setTimeout(() => done(false), timeoutMs)
    s.on('data', (d) => {
      text += d
      clearTimeout(idle)
      idle = setTimeout(() => done(false), idleMs)
    })
    s.once('close', () => done(true))
    s.on('error', () => { /* a reset is a close: reported by 'close' */ })
    if (bytes !== null) s.write(bytes)
  })
}

/** Sends `head`, then `piece` every 200 ms (a slowloris), and answers what the server does about it. */
export async function trickle (url: string, head: string, piece: string, wait: { timeoutMs?: number, idleMs?: number } = {}): Promise<RawAnswer> {
  const s = await open(url)
  s.write(head)
  const drip = setInterval(() => s.writable && s.write(piece), 200)
  try {
    return await answer(s, null, wait)
  } finally {
    clearInterval(drip)
  }
}
