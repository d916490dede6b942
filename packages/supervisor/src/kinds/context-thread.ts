// One shared thread of the context kind, seen from the supervisor: its
// long-running piscina task, its control port (attach a session's port,
// ping), the sessions on it, and the shared word in which the thread marks
// whose code it is running.
import { MessageChannel } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { Piscina } from 'piscina'
import { PROTOCOL_VERSION, parseFromContextThread } from '@sessiond/worker-sdk/transport'
import type { ContextThreadTask } from '@sessiond/worker-sdk/transport'
import type { ContextBundle } from './context-bundle.ts'

/** What a thread knows of a session on it. */
export interface ContextSession {
  /**
   * The thread is gone. `null`: it was recycled because another session
   * hung it, and this one is not at fault (it restarts from its checkpoint).
   * An error: this session hung it, or the thread ended of itself.
   */
  threadLost (cause: Error | null): void
}

export interface ContextThreadOptions {
  pool: Piscina
  realm: string
  bundle: ContextBundle
  logLevel: string
  /** The task ended without `recycle` or `close`: the thread died (out of memory, a fault from no session). */
  onEnd: (thread: ContextThread, err: Error) => void
  /** A session left the thread. */
  onLeave: () => void
}

export class ContextThread {
  readonly #control: MessagePort
  readonly #abort = new AbortController()
  readonly #booted = Promise.withResolvers<void>()
  readonly #pings = new Map<number, () => void>()
  readonly #sessions = new Map<number, ContextSession>()
  readonly #slots = new Map<ContextSession, number>()
  readonly #running: Int32Array
  readonly #onEnd: (thread: ContextThread, err: Error) => void
  readonly #onLeave: () => void
  #nextPing = 1
  #nextSlot = 1
  #over = false
  threadId: number | undefined

  constructor ({ pool, realm, bundle, logLevel, onEnd, onLeave }: ContextThreadOptions) {
    this.#onEnd = onEnd
    this.#onLeave = onLeave
    // Nobody may wait for the boot: a thread that fails before it is reported through onEnd.
    this.#booted.promise.catch(() => { /* onEnd reports it */ })
    const shared = new SharedArrayBuffer(4)
    this.#running = new Int32Array(shared)
    const { port1, port2 } = new MessageChannel()
    this.#control = port1
    port1.on('message', (m: unknown) => {
      const msg = parseFromContextThread(m)
      if (msg.t === 'booted') {
        this.threadId = msg.threadId
        this.#booted.resolve()
      } else {
        this.#pings.get(msg.id)?.()
      }
    })
    // Sessions' ports keep the loop alive while they are open; the control port alone must not.
    port1.unref()
    const task: ContextThreadTask = { version: PROTOCOL_VERSION, port: port2, code: bundle.code, filename: bundle.filename, realm, logLevel, running: shared }
    const done = pool.run(task, { transferList: [port2], signal: this.#abort.signal }) as Promise<void>
    done.then(() => this.#ended(new Error('the thread\'s task ended')), (err: Error) => this.#ended(err))
  }

  #ended (err: Error): void {
    this.#booted.reject(err)
    if (this.#over) return
    this.#over = true
    this.#control.close()
    this.#onEnd(this, err)
  }

  /** Resolves once the bundle is compiled and the request path warm. */
  get booted (): Promise<void> { return this.#booted.promise }
  /** Recycled, closed or dead: it takes no more sessions. */
  get over (): boolean { return this.#over }
  get sessionCount (): number { return this.#sessions.size }
  sessions (): ContextSession[] { return [...this.#sessions.values()] }

  /** Hands a session's port to the thread, which makes the session's context. */
  attach (port: MessagePort, session: ContextSession): void {
    const slot = this.#nextSlot++
    this.#sessions.set(slot, session)
    this.#slots.set(session, slot)
    this.#control.postMessage({ t: 'attach', port, slot }, [port])
  }

  detach (session: ContextSession): void {
    const slot = this.#slots.get(session)
    if (slot === undefined) return
    this.#slots.delete(session)
    this.#sessions.delete(slot)
    this.#onLeave()
  }

  /** Whether the thread's event loop answers within `ms`: a thread that does not is hung. */
  answers (ms: number): Promise<boolean> {
    if (this.#over) return Promise.resolve(false)
    const id = this.#nextPing++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pings.delete(id)
        resolve(false)
      }, ms)
      this.#pings.set(id, () => {
        clearTimeout(timer)
        this.#pings.delete(id)
        resolve(true)
      })
      this.#control.postMessage({ t: 'ping', id })
    })
  }

  /** The session whose code the thread last said it was running, if it is still on it. */
  running (): ContextSession | undefined {
    return this.#sessions.get(Atomics.load(this.#running, 0))
  }

  /** Terminates the thread at once (piscina ends the aborted task's thread and starts another); no report. */
  recycle (): void {
    if (this.#over) return
    this.#over = true
    this.#abort.abort()
    this.#control.close()
  }

  /** Lets the thread finish its task: the pool is being destroyed. */
  close (): void {
    this.#over = true
    this.#control.close()
  }
}
