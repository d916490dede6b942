import type { MessagePort } from 'node:worker_threads'
import type { SessionData } from './context.ts'
import { decodeError } from './transport/error-codec.ts'
import type { StoreOp, StoreResultMessage } from './transport/messages.ts'

/**
 * `ctx.store` for a thread worker: each call is a message to the supervisor,
 * which runs it against this worker's own session only. The session id is
 * never part of the call, so a worker cannot name another session.
 */
export class PortStoreClient implements SessionData {
  #port: MessagePort
  #nextId = 1
  #pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()

  constructor (port: MessagePort) {
    this.#port = port
  }

  #call (op: StoreOp, args: string[]): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#port.postMessage({ t: 'store', id, op, args })
    })
  }

  settle (m: StoreResultMessage): void {
    const p = this.#pending.get(m.id)
    if (!p) return
    this.#pending.delete(m.id)
    if (m.error) p.reject(decodeError(m.error))
    else p.resolve(m.value)
  }

  get (key: string): Promise<string | undefined> { return this.#call('get', [key]) as Promise<string | undefined> }
  put (key: string, value: string): Promise<void> { return this.#call('put', [key, value]) as Promise<void> }
  remove (key: string): Promise<void> { return this.#call('remove', [key]) as Promise<void> }
  keys (): Promise<string[]> { return this.#call('keys', []) as Promise<string[]> }
  getAll (): Promise<Record<string, string>> { return this.#call('getAll', []) as Promise<Record<string, string>> }
  exists (key: string): Promise<boolean> { return this.#call('exists', [key]) as Promise<boolean> }
  open (mode: 'r' | 'rw'): Promise<void> { return this.#call('open', [mode]) as Promise<void> }
  commit (): Promise<void> { return this.#call('commit', []) as Promise<void> }
}
