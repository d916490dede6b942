// The thread-per-session anchor's worker (naive-gateway.ts): one thread per
// session, the session's state a module-level counter.
import { parentPort } from 'node:worker_threads'

let count = 0
parentPort!.on('message', (m: { id: number, path: string }) => {
  count++
  parentPort!.postMessage({ id: m.id, body: m.path.endsWith('/count') ? String(count) : 'hello' })
})
