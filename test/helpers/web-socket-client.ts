// A WebSocket client for tests (ws), with a queue of what it received.
import { once } from 'node:events'
import WebSocket from 'ws'

export interface TestSocket {
  ws: WebSocket
  /** The next message, as text (binary as bytes). */
  next (ms?: number): Promise<string | Buffer>
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number, reason: string }>
}

export function wsUrl (httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws') + path
}

/** Opens a socket; rejects with the HTTP status when the handshake is refused. */
export async function openSocket (url: string, headers: Record<string, string> = {}, protocols: string[] = [], connect: { ca?: Buffer, localAddress?: string } = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, protocols, { headers, ...connect })
  const inbox: Array<string | Buffer> = []
  const waiting: Array<(m: string | Buffer) => void> = []
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = isBinary ? data : data.toString()
    const w = waiting.shift()
    if (w) w(m)
    else inbox.push(m)
  })
  const closed = new Promise<{ code: number, reason: string }>(resolve => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake refused with ${res.statusCode}`), { status: res.statusCode })))
    ws.once('error', reject)
  })
  return {
    ws,
    closed,
    next (ms = 10_000) {
      const m = inbox.shift()
      if (m !== undefined) return Promise.resolve(m)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message in time')), ms)
        waiting.push((x) => { clearTimeout(timer); resolve(x) })
      })
    }
  }
}

/** The status of a refused handshake. */
export async function refusedWith (url: string, headers: Record<string, string> = {}, connect: { ca?: Buffer, localAddress?: string } = {}): Promise<number> {
  try {
    const s = await openSocket(url, headers, [], connect)
    s.ws.close()
  } catch (err) {
    const status = (err as { status?: number }).status
    if (status !== undefined) return status
    throw err
  }
  throw new Error('the handshake was not refused')
}

export async function closeSocket (s: TestSocket): Promise<void> {
  if (s.ws.readyState === WebSocket.CLOSED) return
  s.ws.close()
  await once(s.ws, 'close')
}
