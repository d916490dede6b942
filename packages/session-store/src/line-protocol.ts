import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { CommandSlots } from './command-slots.ts'
import { secretMatches } from './line-protocol-secret.ts'
import { LineSession } from './line-session.ts'
import type { SessionStore } from './store.ts'
import { TokenBucket } from './token-bucket.ts'

// The classic session-server protocol over TCP: one command per line, one
// answer per line, CRLF, UTF-8.
//
//   socket 'data' → split on LF (a CR before it is dropped) → queue of lines
//   → (auth <secret>, when required) → one LineSession runs them in order
//   → 'ok …' / 'err …' + CRLF
//
// Flood control: while a command runs or the client does not read its
// answers, the socket stops reading, so a client can never make the server
// buffer more than one line plus one chunk. A line longer than the limit
// gets an answer and the connection is closed.
//
// Fairness (issue 15, finding 9: one client's pipelined gets once raised
// /healthz from 2 ms to 938 ms): a connection runs at most BATCH commands
// per turn of the event loop, then yields, so HTTP and the other
// connections get their turn between batches; at most `maxCommandsInFlight`
// commands run at once across connections; `new` is rate-limited per
// connection and for the whole listener; connections are capped in all and
// per client address.

export interface LineProtocolOptions {
  host?: string
  port?: number
  /** Longest accepted line in bytes, CRLF included. */
  maxLineBytes?: number
  /** A connection silent this long is closed. */
  idleTimeoutMs?: number
  maxConnections?: number
  /** Connections from one client address; more are answered `err Too many connections` and closed. */
  maxConnectionsPerAddress?: number
  /** Commands running at once across every connection; more wait their turn. */
  maxCommandsInFlight?: number
  /** `new` per second for the whole listener (a burst of twice as many at once). */
  newPerSecond?: number
  /** `new` per second on one connection (a burst of twice as many at once). */
  newPerSecondPerConnection?: number
  /** When set, a connection's first command must be `auth <secret>` (line-protocol-secret.ts). */
  secret?: Buffer
  /** Lifetime of sessions made with `new`. */
  ttlMs?: number
  /** User name recorded for sessions made with `new`. */
  user?: string
}

type Settings = Required<Omit<LineProtocolOptions, 'secret'>> & { secret: Buffer | undefined }

const DEFAULTS: Omit<Settings, 'secret'> = {
  host: '127.0.0.1',
  port: 0,
  maxLineBytes: 4 * 1024 * 1024,
  idleTimeoutMs: 5 * 60_000,
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  maxCommandsInFlight: 256,
  newPerSecond: 100,
  newPerSecondPerConnection: 10,
  ttlMs: 12 * 3_600_000,
  user: 'anonymous'
}

/** Commands one connection runs before it lets the event loop serve others. */
const BATCH = 32
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** A listening line-protocol server; `close()` ends every connection. */
export class LineProtocolListener {
  #server: Server
  #store: SessionStore
  #opts: Settings
  #sockets = new Set<Socket>()
  #perAddress = new Map<string, number>()
  #slots: CommandSlots
  #newRate: TokenBucket

  private constructor (store: SessionStore, opts: Settings) {
    this.#store = store
    this.#opts = opts
    this.#slots = new CommandSlots(opts.maxCommandsInFlight)
    this.#newRate = new TokenBucket(opts.newPerSecond, opts.newPerSecond * 2)
    this.#server = createServer({ noDelay: true }, socket => this.#serve(socket))
    this.#server.maxConnections = opts.maxConnections
  }

  /** Listens on loopback unless told otherwise. */
  static async listen (store: SessionStore, opts: LineProtocolOptions = {}): Promise<LineProtocolListener> {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined))
    const l = new LineProtocolListener(store, { ...DEFAULTS, secret: undefined, ...given })
    l.#server.listen(l.#opts.port, l.#opts.host)
    await once(l.#server, 'listening')
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
    const address = socket.remoteAddress ?? ''
    const fromHere = (this.#perAddress.get(address) ?? 0) + 1
    socket.on('error', () => { /* a reset or a write to a closed peer is the client's business */ })
    this.#sockets.add(socket)
    if (fromHere > this.#opts.maxConnectionsPerAddress) {
      socket.once('close', () => this.#sockets.delete(socket))
      socket.end('err Too many connections\r\n')
      return
    }
    this.#perAddress.set(address, fromHere)
    const ownNewRate = new TokenBucket(this.#opts.newPerSecondPerConnection, this.#opts.newPerSecondPerConnection * 2)
    const session = new LineSession(this.#store, {
      ttlMs: this.#opts.ttlMs,
      user: this.#opts.user,
      // Both limits must allow it: the connection's own first, so one client cannot spend the listener's.
      mayCreate: () => ownNewRate.take() && this.#newRate.take()
    })
    const max = this.#opts.maxLineBytes
    const secret = this.#opts.secret
    let authenticated = secret === undefined
    let pending: Buffer = Buffer.alloc(0)
    let busy = false
    let gone = false

    socket.setTimeout(this.#opts.idleTimeoutMs, () => socket.destroy())
    socket.on('close', () => {
      gone = true
      this.#sockets.delete(socket)
      const n = (this.#perAddress.get(address) ?? 1) - 1
      if (n === 0) this.#perAddress.delete(address)
      else this.#perAddress.set(address, n)
      // A client that vanished mid-session must not leave the lock held, nor half its writes.
      session.end(false).catch(() => {})
    })

    /** Writes an answer; waits while the client is not reading them (or until it is gone). */
    const write = async (text: string): Promise<void> => {
      if (gone || socket.write(text)) return
      const settled = new AbortController()
      // Whichever comes first; the other wait is called off, so no listener outlives it.
      await Promise.race([once(socket, 'drain', { signal: settled.signal }), once(socket, 'close', { signal: settled.signal })]).finally(() => settled.abort())
    }
    const hangUp = async (answer: string) => {
      pending = Buffer.alloc(0)
      await write(answer)
      gone = true
      socket.end()
    }
    /** The first line when a secret is required: `auth <secret>`, or the connection ends. */
    const authenticate = (line: string): string | null => {
      if (!line.startsWith('auth ')) return 'err Authentication required\r\n'
      if (!secretMatches(secret as Buffer, line.slice(5))) return 'err Authentication failed\r\n'
      authenticated = true
      return null
    }

    const drain = async () => {
      if (busy) return
      busy = true
      socket.pause()
      try {
        for (let inTurn = 1; ; inTurn++) {
          if (inTurn > BATCH) {
            // This connection had its turn: let HTTP and the other clients in before its next batch.
            inTurn = 1
            await nextTurn()
            if (gone) return
          }
          const lf = pending.indexOf(0x0a)
          if (lf === -1) break
          if (lf + 1 > max) return await hangUp('err line too long\r\n')
          const raw = pending.subarray(0, lf > 0 && pending[lf - 1] === 0x0d ? lf - 1 : lf)
          pending = pending.subarray(lf + 1)
          let line: string
          try {
            line = utf8.decode(raw)
          } catch {
            // Not UTF-8: answer and carry on with the next line.
            await write('err invalid UTF-8\r\n')
            continue
          }
          if (!authenticated) {
            const refused = authenticate(line)
            if (refused !== null) return await hangUp(refused)
            await write('ok\r\n')
            continue
          }
          const waitForSlot = this.#slots.acquire()
          if (waitForSlot) await waitForSlot
          let answer: string
          try {
            answer = await session.run(line)
          } finally {
            this.#slots.release()
          }
          await write(answer + '\r\n')
          if (gone) return
        }
        if (pending.length > max) return await hangUp('err line too long\r\n')
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
