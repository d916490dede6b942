// Transport (a): one piscina pool of one thread per worker, one pool.run()
// task per request; piscina's defaults otherwise (atomics on).
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { BenchRequest, BenchResponse } from '../fixtures/serve-request.ts'
import { BENCH_HEADERS, BENCH_URL, checkHello } from './transport.ts'
import type { Transport } from './transport.ts'

const TASK = fileURLToPath(new URL('../fixtures/piscina-request-task.ts', import.meta.url))

export class PiscinaPerRequest implements Transport {
  key = 'a'
  name = 'piscina task per request'
  #pools: Piscina[] = []
  #nextId = 1

  async start (workers: number, inFlight: number): Promise<void> {
    for (let i = 0; i < workers; i++) {
      this.#pools.push(new Piscina({ filename: TASK, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: inFlight }))
    }
    // The first task of each pool waits for its thread and the module import.
    await Promise.all(this.#pools.map((_p, w) => this.request(w)))
  }

  async request (w: number): Promise<void> {
    const req: BenchRequest = { id: this.#nextId++, method: 'GET', url: BENCH_URL, headers: BENCH_HEADERS }
    const res = await this.#pools[w].run(req) as BenchResponse
    checkHello(res.status, res.body.byteLength)
  }

  async close (): Promise<void> {
    await Promise.allSettled(this.#pools.map(p => p.destroy()))
    this.#pools = []
  }
}
