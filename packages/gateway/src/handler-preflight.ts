import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { HandlerLoadError } from './errors.ts'

export interface PreflightRealm {
  name: string
  /** A file URL, as a loaded config holds it. */
  handler?: string
  runAs?: unknown
}

export interface PreflightOptions {
  /**
   * Also run each handler module (not those of `runAs` realms, which are
   * meant to run under another account) and check that it exports a handler:
   * for `sessiond check`, on the operator's request, never at start-up.
   */
  evaluate?: boolean
}

export interface PreflightProblem {
  realm: string
  /** The handler's path. */
  file: string
  /** Node's own words: which module could not be found, imported from where; or the syntax error. */
  message: string
  code?: string
}

/** What the preflight worker answers: one problem per realm whose handler does not link. */
export type PreflightAnswer = PreflightProblem[]

// The sources run as .ts in a checkout; an installed package runs its built .js.
const WORKER = new URL(`./handler-preflight-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url)

/**
 * Links every realm's handler module graph — every import resolved, loaded
 * and its syntax checked — without running any of it, in a throwaway worker
 * thread. A handler that cannot resolve an import (a package not installed
 * beside it) is then refused at start-up, naming the module and the path,
 * rather than failing its first request with a 502. No handler code runs:
 * a `process` realm's handler may be untrusted, and here we are the daemon.
 * The thread exits afterwards, so the daemon keeps none of the sources.
 */
export async function preflightHandlers (realms: readonly PreflightRealm[], { evaluate = false }: PreflightOptions = {}): Promise<PreflightProblem[]> {
  const targets = realms.filter(r => r.handler !== undefined)
    .map(r => ({ realm: r.name, url: r.handler!, evaluate: evaluate && r.runAs === undefined }))
  if (targets.length === 0) return []
  // A handler's own output while it loads (sessiond check) is not ours to print.
  const worker = new Worker(WORKER, { workerData: targets, stdout: true, stderr: true })
  const exited = once(worker, 'exit')
  const [answer] = await Promise.race([once(worker, 'message'), exited.then(([code]) => {
    throw new HandlerLoadError(`the preflight thread exited with code ${code} before answering`)
  })]) as [PreflightAnswer]
  // A handler that ran may have left timers or sockets open: the thread is ended, not awaited.
  await worker.terminate()
  return answer
}

/** Throws one coded error listing every realm whose handler cannot load. */
export async function assertHandlersLoad (realms: readonly PreflightRealm[]): Promise<void> {
  const problems = await preflightHandlers(realms)
  if (problems.length === 0) return
  throw new HandlerLoadError(problems.map(p => `realm ${p.realm}: handler ${p.file}: ${p.message}`).join('\n  '))
}

export function handlerPath (url: string): string {
  return url.startsWith('file:') ? fileURLToPath(url) : url
}
