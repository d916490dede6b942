import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import { LineSession } from './line-session.ts'
import type { SessionStore } from './store.ts'

// The classic session-server protocol over TCP: one command per line, one
// answer per line, CRLF, UTF-8.
//
//   socket 'data' → split on LF (a CR before it is dropped) → queue of lines
//   → one LineSession runs them in order → 'ok …' / 'err …' + CRLF
//
// Flood control: while a command runs or the client does not read its
// answers, the socket stops reading, so a client can never make the server
// buffer more than one line plus one chunk. A line longer than the limit
// gets an answer and the connection is closed.

export interface LineProtocolOptions {
  host?: string
  port?: number
  /** Longest accepted line in bytes, CRLF included. */
  maxLineBytes?: number
  /** A connection silent this long is closed. */
  idleTimeoutMs?: number
  maxConnections?: number
  /** Lifetime of sessions made with `new`. */
  ttlMs?: number
  /** User name recorded for sessions made with `new`. */
  user?: string
}

const DEFAULTS = { host: '127.0.0.1', port: 0, maxLineBytes: 4 * 1024 * 1024, idleTimeoutMs: 5 * 60_000, maxConnections: 1024, ttlMs: 12 * 3_600_000, user: 'anonymous' }
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A listening line-protocol server; `close()` ends every connection. */
export class LineProtocolListener {
  #server: Server
  #store: SessionStore
  #opts: typeof DEFAULTS
  #sockets = new Set<Socket>()

  private constructor (store: SessionStore, opts: typeof DEFAULTS) {
    this.#store = store
    this.#opts = opts
    this.#server = createServer({ noDelay: true }, socket => this.#serve(socket))
    this.#server.maxConnections = opts.maxConnections
  }

  /** Listens on loopback unless told otherwise. */
  static async listen (store: SessionStore, opts: LineProtocolOptions = {}): Promise<LineProtocolListener> {
    const l = new LineProtocolListener(store, { ...DEFAULTS, ...opts })
    await new Promise<void>((resolve, reject) => {
      l.#server.once('error', reject)
      l.#server.listen(l.#opts.port, l.#opts.host, () => {
        l.#server.off('error', reject)
        resolve()
      })
    })
    return l
  }

  get address (): AddressInfo {
    return this.#server.address() as AddressInfo
  }

  async close (): Promise<void> {
    const closed = once(this.#server, 'close')
    this.#server.close()
    for (const s of this.#sockets) s.destroy()
    await closed
  }

  #serve (socket: Socket): void {
    this.#sockets.add(socket)
    const session = new LineSession(this.#store, { ttlMs: this.#opts.ttlMs, user: this.#opts.user })
    const max = this.#opts.maxLineBytes
    let pending: Buffer = Buffer.alloc(0)
    let busy = false
    let gone = false

    socket.setTimeout(this.#opts.idleTimeoutMs, () => socket.destroy())
    // A reset or a write to a closed peer is the client's business, never a crash.
    socket.on('error', () => {})
    socket.on('close', () => {
      gone = true
      this.#sockets.delete(socket)
      // A client that vanished mid-session must not leave the lock held, nor half its writes.
      session.end(false).catch(() => {})
    })

    /** Writes one answer; waits while the client is not reading them (or until it is gone). */
    const answer = async (text: string): Promise<void> => {
      if (gone || socket.write(text + '\r\n')) return
      await new Promise<void>(resolve => {
        const done = () => { socket.off('drain', done); socket.off('close', done); resolve() }
        socket.on('drain', done)
        socket.on('close', done)
      })
    }
    const refuse = async () => {
      pending = Buffer.alloc(0)
      await answer('err line too long')
      gone = true
      socket.end()
    }

    const drain = async () => {
      if (busy) return
      busy = true
      socket.pause()
      try {
        for (;;) {
          const lf = pending.indexOf(0x0a)
          if (lf === -1) break
          if (lf + 1 > max) return await refuse()
          const raw = pending.subarray(0, lf > 0 && pending[lf - 1] === 0x0d ? lf - 1 : lf)
          pending = pending.subarray(lf + 1)
          let line: string
          try {
            line = utf8.decode(raw)
          } catch {
            // Not UTF-8: answer and carry on with the next line.
            await answer('err invalid UTF-8')
            continue
          }
          await answer(await session.run(line))
          if (gone) return
        }
        if (pending.length > max) return await refuse()
      } finally {
        busy = false
      }
      if (!gone) socket.resume()
    }

    socket.on('data', (chunk: Buffer) => {
      if (gone) return
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
      drain().catch(() => socket.destroy())
    })
  }
}
