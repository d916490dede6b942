import type { WorkerRealm } from '../config.ts'

/** Realm settings that only some kinds read, and which those are. */
const READ_BY = {
  threads: ['context'],
  checkpoint: ['context', 'thread']
} as const satisfies Partial<Record<keyof WorkerRealm, readonly string[]>>

/** Settings a realm gives that its kind does not read: a mistake worth saying, not ignoring. */
export function unreadSettings (realm: WorkerRealm): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (realm.threads !== undefined && !(READ_BY.threads as readonly string[]).includes(realm.kind)) {
    out.push(['threads', `no threads for kind ${realm.kind} (only kind context shares threads)`])
  }
  if (realm.checkpoint > 0 && !(READ_BY.checkpoint as readonly string[]).includes(realm.kind)) {
    out.push(['checkpoint', `no checkpoint for kind ${realm.kind} (kinds ${READ_BY.checkpoint.join(' and ')} have it)`])
  }
  return out
}
