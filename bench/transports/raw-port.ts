// Transport (b): a plain worker_threads Worker per worker and a
// MessagePort to it; one message each way per request, correlated by id.
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { MessageChannel, Worker } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { BenchRequest, BenchResponse } from '../fixtures/serve-request.ts'
import { BENCH_HEADERS, BENCH_URL, checkHello } from './transport.ts'
import type { Transport } from './transport.ts'

const WORKER = fileURLToPath(new URL('../fixtures/raw-port-worker.ts', import.meta.url))

interface RawWorker {
  worker: Worker
  port: MessagePort
  pending: Map<number, PromiseWithResolvers<BenchResponse>>
}

export class RawPort implements Transport {
  key = 'b'
  name = 'raw Worker + MessagePort'
  #workers: RawWorker[] = []
  #nextId = 1

  async start (workers: number): Promise<void> {
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel()
      const worker = new Worker(WORKER, { workerData: { port: port2 }, transferList: [port2] })
      const w: RawWorker = { worker, port: port1, pending: new Map() }
      const ready = once(port1, 'message')
      worker.once('error', err => { for (const p of w.pending.values()) p.reject(err) })
      await ready
      port1.on('message', (m: BenchResponse) => {
        const p = w.pending.get(m.id)
        w.pending.delete(m.id)
        p?.resolve(m)
      })
      this.#workers.push(w)
    }
  }

  async request (i: number): Promise<void> {
    const w = this.#workers[i]
    const id = this.#nextId++
    const p = Promise.withResolvers<BenchResponse>()
    w.pending.set(id, p)
    const req: BenchRequest = { id, method: 'GET', url: BENCH_URL, headers: BENCH_HEADERS }
    w.port.postMessage(req)
    const res = await p.promise
    checkHello(res.status, res.body.byteLength)
  }

  async close (): Promise<void> {
    await Promise.allSettled(this.#workers.map(w => {
      w.port.close()
      return w.worker.terminate()
    }))
    this.#workers = []
  }
}
