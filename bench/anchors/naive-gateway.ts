// Two naive anchors of bench/request-path.ts: a Fastify gateway that routes
// each request by its session cookie to a worker thread over that thread's
// MessagePort, with a counter per session in the worker. No SDK, no web
// Request/Response, no limits, no login: what the shape costs, not sessiond.
//   node naive-gateway.ts thread-per-session   one Worker per session (counter-worker.ts)
//   node naive-gateway.ts shared-vm N          N shared Workers; each session its own
//                                              node:vm context on one of them (vm-contexts-worker.ts)
// GET /hello/ answers `hello`; GET /hello/count the session's counter, which
// the bench reads to check that the state is per session.
import { Worker } from 'node:worker_threads'
import Fastify from 'fastify'
import type { FastifyReply } from 'fastify'

interface Thread { worker: Worker, pending: Map<number, FastifyReply> }

const [mode, threadsArg = '1'] = process.argv.slice(2)
if (mode !== 'thread-per-session' && mode !== 'shared-vm') throw new Error(`mode must be thread-per-session or shared-vm, got ${mode}`)

function startThread (file: string): Thread {
  const t: Thread = { worker: new Worker(new URL(file, import.meta.url)), pending: new Map() }
  t.worker.on('message', (m: { id: number, body: string }) => {
    const reply = t.pending.get(m.id)!
    t.pending.delete(m.id)
    reply.type('text/plain;charset=UTF-8').send(m.body)
  })
  t.worker.on('error', err => { throw err })
  return t
}

const shared = mode === 'shared-vm' ? Array.from({ length: Number(threadsArg) }, () => startThread('./vm-contexts-worker.ts')) : []
const threadOf = new Map<string, Thread>()
let nextId = 0

const app = Fastify({ logger: false })
app.get('/hello/*', (request, reply) => {
  const sid = /(?:^|;\s*)sessiond=([^;]+)/.exec(request.headers.cookie ?? '')?.[1]
  if (sid === undefined) return reply.code(401).send('no session')
  let t = threadOf.get(sid)
  if (!t) {
    // A new session: a thread of its own, or the next shared thread in turn.
    t = mode === 'shared-vm' ? shared[threadOf.size % shared.length] : startThread('./counter-worker.ts')
    threadOf.set(sid, t)
  }
  const id = nextId++
  t.pending.set(id, reply)
  t.worker.postMessage({ id, sid, path: request.url })
})

await app.listen({ host: '127.0.0.1', port: 0 })
const addr = app.server.address()
if (addr === null || typeof addr === 'string') throw new Error('no TCP address')
process.stdout.write(`naive gateway (${mode}) listening on http://127.0.0.1:${addr.port}\n`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => { void app.close().then(() => process.exit(0)) })
}
