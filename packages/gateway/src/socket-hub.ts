/** One client socket the gateway holds, whichever way its worker is reached. */
export interface HeldSocket {
  readonly sessionId: string
  readonly realm: string
  /** Parked: its worker hibernated and it waits for its next message. */
  readonly parked: boolean
  /** Wakes a parked socket: offers it to the session's next worker; resolves once it is that worker's (or closed). */
  wake (): Promise<void>
  /** Hands the worker the messages that waited while the socket was parked. */
  flush (): void
  /** Closes it with `code` at once (the client is told), and the worker's end with it. */
  end (code: number, reason: string): void
  /** Sends a ping; answers false when the last one got no pong (the client is gone: it is cut). */
  heartbeat (): boolean
  /** Resolves once the client's connection is closed. */
  readonly closed: Promise<void>
}

/** How long shutdown waits for clients to answer their close before their connections are cut. */
const CLOSE_WAIT_MS = 2000

/**
 * Every WebSocket the gateway holds open, by session and realm: the count
 * that `webSocket.maxPerSession` limits, the sockets a session's end
 * closes (1008) and shutdown closes (1001), the parked ones a message on
 * any of them wakes together, and one heartbeat timer for them all.
 */
export class SocketHub {
  #bySession = new Map<string, Set<HeldSocket>>()
  #timer: NodeJS.Timeout | null = null
  #closing = false
  /** The (session, realm)s whose parked sockets are on their way back to a worker. */
  #waking = new Set<string>()

  constructor (pingIntervalMs: number) {
    if (pingIntervalMs > 0) {
      this.#timer = setInterval(() => this.#heartbeat(), pingIntervalMs)
      this.#timer.unref()
    }
  }

  get size (): number {
    let n = 0
    for (const set of this.#bySession.values()) n += set.size
    return n
  }

  /** Whether the hub still takes sockets: not once shutdown began. */
  get open (): boolean { return !this.#closing }

  count (sessionId: string, realm: string): number {
    let n = 0
    for (const s of this.#bySession.get(sessionId) ?? []) if (s.realm === realm) n++
    return n
  }

  add (socket: HeldSocket): void {
    let set = this.#bySession.get(socket.sessionId)
    if (!set) this.#bySession.set(socket.sessionId, set = new Set())
    set.add(socket)
  }

  delete (socket: HeldSocket): void {
    const set = this.#bySession.get(socket.sessionId)
    set?.delete(socket)
    if (set?.size === 0) this.#bySession.delete(socket.sessionId)
  }

  /**
   * A message came on a parked socket: every parked socket of its (session,
   * realm) goes to the worker that resumes, and only then do their waiting
   * messages follow, so that the worker knows all its sockets before the
   * first message (a broadcast reaches every one).
   */
  wake (sessionId: string, realm: string): void {
    const key = realm + '\n' + sessionId
    const parked = [...this.#bySession.get(sessionId) ?? []].filter(s => s.realm === realm && s.parked)
    this.#waking.add(key)
    void Promise.allSettled(parked.map(s => s.wake())).then(() => {
      this.#waking.delete(key)
      for (const s of parked) s.flush()
    })
  }

  /** A socket was parked: if its session's sockets are being woken meanwhile, it goes back with them. */
  parked (socket: HeldSocket): void {
    if (!this.#waking.has(socket.realm + '\n' + socket.sessionId)) return
    void socket.wake().then(() => socket.flush())
  }

  sessions (): string[] {
    return [...this.#bySession.keys()]
  }

  /** The session ended (logout, expiry, regenerate_id): its sockets close with 1008. */
  endSession (sessionId: string): void {
    for (const s of [...this.#bySession.get(sessionId) ?? []]) s.end(1008, 'session ended')
  }

  /** Shutdown: every socket closes with 1001; resolves once they have, or after a short wait. */
  async close (): Promise<void> {
    this.#closing = true
    if (this.#timer) clearInterval(this.#timer)
    const all = [...this.#bySession.values()].flatMap(set => [...set])
    for (const s of all) s.end(1001, 'server shutting down')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(all.map(s => s.closed)), new Promise<void>(resolve => { timer = setTimeout(resolve, CLOSE_WAIT_MS) })])
    clearTimeout(timer)
  }

  #heartbeat (): void {
    for (const set of this.#bySession.values()) for (const s of set) s.heartbeat()
  }
}
