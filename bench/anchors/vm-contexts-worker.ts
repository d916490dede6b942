// The shared-thread anchor's worker (naive-gateway.ts): one thread for many
// sessions, each session its own node:vm context (own globals, own counter).
// The handler is compiled once per thread and run once in each context.
import { Script, createContext } from 'node:vm'
import { parentPort } from 'node:worker_threads'

type Handle = (path: string) => string

const HANDLER = new Script(`
let count = 0
globalThis.handle = path => { count++; return path.endsWith('/count') ? String(count) : 'hello' }
`, { filename: 'vm-handler.js' })
const handles = new Map<string, Handle>()

function handleOf (sid: string): Handle {
  let h = handles.get(sid)
  if (!h) {
    const context = createContext()
    HANDLER.runInContext(context)
    h = context.handle as Handle
    handles.set(sid, h)
  }
  return h
}

parentPort!.on('message', (m: { id: number, sid: string, path: string }) => {
  parentPort!.postMessage({ id: m.id, body: handleOf(m.sid)(m.path) })
})
