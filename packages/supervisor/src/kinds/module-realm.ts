import type { WorkerRealm } from '../config.ts'

/** Problems of a realm whose kind runs a handler module: it needs one, and no command. */
export function moduleRealmProblems (realm: WorkerRealm): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (realm.handler === undefined) out.push(['handler', `the path of the handler module for kind ${realm.kind}`])
  if (realm.command !== undefined) out.push(['command', `no command for kind ${realm.kind} (it runs handler)`])
  return out
}
