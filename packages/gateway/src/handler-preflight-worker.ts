// The thread of handler-preflight.ts. Each handler is imported through an
// entry module whose first import throws: ES modules link their whole graph
// (resolve, load, parse) before any module runs, so a missing package or a
// syntax error surfaces, and otherwise the throw stops evaluation before
// the handler's first line. data: URLs may import file: URLs by absolute URL.
import { parentPort, workerData } from 'node:worker_threads'
import { handlerPath } from './handler-preflight.ts'
import type { PreflightAnswer } from './handler-preflight.ts'

const STOP = Symbol.for('sessiond.preflight.stop')
const stopModule = 'data:text/javascript,' + encodeURIComponent('throw Symbol.for("sessiond.preflight.stop")')

const answer: PreflightAnswer = []
for (const { realm, url, evaluate } of workerData as Array<{ realm: string, url: string, evaluate: boolean }>) {
  const entry = 'data:text/javascript,' + encodeURIComponent(`import ${JSON.stringify(stopModule)}\nimport ${JSON.stringify(url)}\n// ${realm}`)
  try {
    await import(entry)
  } catch (err) {
    if (err !== STOP) {
      answer.push(problem(realm, url, err))
      continue
    }
  }
  if (!evaluate) continue
  try {
    const mod = await import(url) as { default?: { fetch?: unknown }, fetch?: unknown }
    if (typeof (mod.default ?? mod).fetch !== 'function') {
      answer.push({ realm, file: handlerPath(url), message: 'no default export with fetch(request, ctx): export default defineHandler({ fetch … })', code: 'SDK_ERR_INVALID_HANDLER' })
    }
  } catch (err) {
    answer.push(problem(realm, url, err))
  }
}

function problem (realm: string, url: string, err: unknown) {
  const e = err as { message?: string, code?: string }
  return { realm, file: handlerPath(url), message: (e?.message ?? String(err)).split('\n')[0], ...(e?.code && { code: e.code }) }
}
parentPort!.postMessage(answer)
