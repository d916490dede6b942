// The worker kinds by name. Adding a kind: a file here implementing
// WorkerKind, a line below, and its name in the realm schema (config.ts).
import { contextKind } from './context.ts'
import { execKind } from './exec.ts'
import { processKind } from './process.ts'
import { threadKind } from './thread.ts'
import type { WorkerKind } from './worker-kind.ts'

const KINDS: ReadonlyMap<string, WorkerKind> = new Map([contextKind, threadKind, processKind, execKind].map(k => [k.name, k]))

/** Every kind, for what the supervisor tells them all (sync, close). */
export function workerKinds (): Iterable<WorkerKind> {
  return KINDS.values()
}

export function workerKind (name: string): WorkerKind {
  const kind = KINDS.get(name)
  if (!kind) throw new TypeError(`no worker kind ${name}`)
  return kind
}
