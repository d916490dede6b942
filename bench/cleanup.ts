// Whatever a benchmark starts must go away, even on an error or ^C: child
// processes and temporary directories register here. Each benchmark still
// closes its own in a `finally`; this is the net under it for signals and
// for an exit that skipped the `finally` (process.exit, an uncaught error).
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const children = new Set<ChildProcess>()
const dirs = new Set<string>()
const closers = new Set<() => Promise<void>>()
let installed = false
let interrupted = false

/** True once SIGINT or SIGTERM arrived: start nothing new. */
export function isInterrupted (): boolean {
  return interrupted
}

function install (): void {
  if (installed) return
  installed = true
  // 'exit' handlers must be synchronous: kill hard and remove what is left.
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`)
      // Whatever happens, be gone in 15 s; the 'exit' handler kills what is left.
      setTimeout(() => process.exit(130), 15_000).unref()
      void cleanupAll().finally(() => process.exit(130))
    })
  }
}

/** Kills the child (if still running) when the bench ends or is interrupted. */
export function trackChild (child: ChildProcess): void {
  install()
  children.add(child)
  child.once('exit', () => children.delete(child))
  if (interrupted) child.kill('SIGTERM')
}

/** A fresh temporary directory, removed at the end whatever happens. */
export function tempDir (prefix: string): { path: string, remove: () => void } {
  install()
  const path = mkdtempSync(join(tmpdir(), `sessiond-bench-${prefix}-`))
  dirs.add(path)
  return {
    path,
    remove () {
      rmSync(path, { recursive: true, force: true })
      dirs.delete(path)
    }
  }
}

/** An in-process resource (thread pools, a supervisor) to close on ^C. Returns the unregister function. */
export function onInterrupt (close: () => Promise<void>): () => void {
  install()
  closers.add(close)
  return () => { closers.delete(close) }
}

async function cleanupAll (): Promise<void> {
  await Promise.allSettled([...closers].map(c => c()))
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
  const deadline = Date.now() + 5_000
  while ([...children].some(c => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) {
    await sleep(50)
  }
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs.clear()
}
