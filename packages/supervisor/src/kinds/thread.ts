// kind: thread — a worker thread of its own in the daemon (piscina, one
// thread per worker). Fastest to reach; not a security boundary.
import type { WorkerRealm } from '../config.ts'
import { storeSessionData } from '../store-session-data.ts'
import { moduleRealmProblems } from './module-realm.ts'
import { ThreadWorker } from './thread-worker.ts'
import type { BootOptions, KindHost, SessionStart, Worker, WorkerKind } from './worker-kind.ts'
import { unreadSettings } from './kind-settings.ts'

export const threadKind: WorkerKind = {
  name: 'thread',
  hibernates: true,

  validate: (realm) => [
    ...moduleRealmProblems(realm),
    ...unreadSettings(realm),
    ...(realm.runAs !== undefined ? [['runAs', 'no runAs for kind thread (a thread runs as the daemon; use kind process)'] as [string, string]] : [])
  ],

  check () {},

  boot: (realm: WorkerRealm, _host: KindHost, { logger, onExit }: BootOptions) =>
    ThreadWorker.boot({ realm, logger, onExit, spare: true }),

  async start (realm: WorkerRealm, host: KindHost, { identity, logger, onExit, resume }: SessionStart, spare?: Worker): Promise<Worker> {
    const claim = { identity, store: storeSessionData(host.store, identity.sessionId), logger, onExit, resume }
    if (!spare) return ThreadWorker.start({ realm, logger, onExit }, claim)
    await (spare as ThreadWorker).claim(claim)
    return spare
  }
}
