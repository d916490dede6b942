// kind: context — each session's handler in a V8 context of its own (own
// globals, own module instances) on a small pool of shared threads: no
// thread per session, and the SDK's request path compiled once per thread.
// Not a security boundary, like thread; no heap limit per session (the
// thread's covers its sessions); a hang recycles the whole thread.
import type { WorkerRealm } from '../config.ts'
import { storeSessionData } from '../store-session-data.ts'
import { contextBundle } from './context-bundle.ts'
import { ContextThreads } from './context-threads.ts'
import { ContextWorker } from './context-worker.ts'
import { moduleRealmProblems } from './module-realm.ts'
import type { BootOptions, KindHost, SessionStart, Worker, WorkerKind } from './worker-kind.ts'
import { unreadSettings } from './kind-settings.ts'

interface Group {
  threads: ContextThreads
  /** A reload replaced this definition: the group goes once its last worker has. */
  stale: boolean
}

/** Per supervisor: the thread groups of its context realms, by realm definition. */
const groupsOf = new WeakMap<KindHost, Map<WorkerRealm, Group>>()

function groups (host: KindHost): Map<WorkerRealm, Group> {
  let g = groupsOf.get(host)
  if (!g) groupsOf.set(host, g = new Map())
  return g
}

function threadsFor (realm: WorkerRealm, host: KindHost): ContextThreads {
  const all = groups(host)
  let group = all.get(realm)
  if (!group) {
    const threads = new ContextThreads({
      realm,
      bundle: contextBundle(realm),
      logLevel: host.logLevel,
      logger: host.logger.child({ realm: realm.name, kind: 'context' }),
      onIdle: () => dropIdleStale(host)
    })
    all.set(realm, group = { threads, stale: false })
  }
  return group.threads
}

/** Closes the stale groups that no worker uses any more. */
function dropIdleStale (host: KindHost): void {
  const all = groups(host)
  for (const [realm, group] of all) {
    if (!group.stale || group.threads.sessionCount > 0) continue
    all.delete(realm)
    void group.threads.close()
  }
}

export const contextKind: WorkerKind = {
  name: 'context',
  hibernates: true,

  validate: (realm) => [
    ...moduleRealmProblems(realm),
    ...unreadSettings(realm),
    ...(realm.runAs !== undefined ? [['runAs', 'no runAs for kind context (its threads run as the daemon; use kind process)'] as [string, string]] : [])
  ],

  // Bundling is the start-up check: what a context cannot run is refused now, naming the file.
  check (realm) {
    contextBundle(realm)
  },

  boot: (realm: WorkerRealm, host: KindHost, { logger, onExit }: BootOptions) =>
    ContextWorker.boot({ realm, threads: threadsFor(realm, host), logger, onExit }),

  async start (realm: WorkerRealm, host: KindHost, { identity, logger, onExit, resume }: SessionStart, spare?: Worker): Promise<Worker> {
    const claim = { identity, store: storeSessionData(host.store, identity.sessionId), logger, onExit, resume }
    if (!spare) return ContextWorker.start({ realm, threads: threadsFor(realm, host), logger, onExit }, claim)
    await (spare as ContextWorker).claim(claim)
    return spare
  },

  sync (realms, host) {
    const current = new Set(realms.filter(r => r.kind === 'context'))
    for (const [realm, group] of groups(host)) if (!current.has(realm)) group.stale = true
    // The threads boot now, so that a realm's first session does not wait for them.
    for (const realm of current) threadsFor(realm, host)
    dropIdleStale(host)
  },

  async close (host) {
    const all = groups(host)
    groupsOf.delete(host)
    await Promise.all([...all.values()].map(g => g.threads.close()))
  }
}
