// Transport (c): our design, through the real Supervisor: a piscina pool
// of one thread per worker whose single long-running task owns a
// MessagePort; each request is a message on it (see kinds/thread-worker.ts).
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import { MemoryStore } from '@sessiond/session-store'
import { Supervisor, workerRealm } from '@sessiond/supervisor'
import type { DispatchRequest } from '@sessiond/supervisor'
import { HELLO_HANDLER } from '../sessiond-daemon.ts'
import { BENCH_HEADERS, BENCH_URL, checkHello } from './transport.ts'
import type { Transport } from './transport.ts'

export class SupervisorDispatch implements Transport {
  key = 'c'
  name = 'sessiond Supervisor.dispatch'
  #store = new MemoryStore()
  #supervisor: Supervisor | null = null
  #requests: DispatchRequest[] = []

  async start (workers: number): Promise<void> {
    this.#supervisor = new Supervisor({
      realms: [workerRealm({ name: 'hello', handler: pathToFileURL(HELLO_HANDLER).href })],
      store: this.#store,
      logger: pino({ level: 'silent' })
    })
    for (let i = 0; i < workers; i++) {
      const { id: sessionId } = await this.#store.create('bench', 3_600_000)
      this.#requests.push({
        identity: { sessionId, user: 'bench' },
        realm: 'hello',
        method: 'GET',
        url: BENCH_URL,
        headers: BENCH_HEADERS,
        body: null
      })
      // The first dispatch starts the session's worker.
      await this.request(i)
    }
  }

  async request (w: number): Promise<void> {
    // A fresh object per request, as the gateway builds one per HTTP request.
    const res = await this.#supervisor!.dispatch({ ...this.#requests[w] })
    let bytes = 0
    if (res.body instanceof Uint8Array) bytes = res.body.byteLength
    else if (res.body) for await (const chunk of res.body as Readable) bytes += (chunk as Uint8Array).byteLength
    checkHello(res.status, bytes)
  }

  async close (): Promise<void> {
    await this.#supervisor?.close()
    this.#supervisor = null
    this.#requests = []
    await this.#store.close()
  }
}
