// The worker kinds by name. Adding a kind: a file here implementing
// WorkerKind, a line below, and its name in the realm schema (config.ts).
import { execKind } from './exec.ts'
import { processKind } from './process.ts'
import { threadKind } from './thread.ts'
import type { WorkerKind } from './worker-kind.ts'

const KINDS: ReadonlyMap<string, WorkerKind> = new Map([threadKind, processKind, execKind].map(k => [k.name, k]))

export function workerKind (name: string): WorkerKind {
  const kind = KINDS.get(name)
  if (!kind) throw new TypeError(`no worker kind ${name}`)
  return kind
}
