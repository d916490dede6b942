// kind: exec — any executable that serves HTTP, in any language: the
// realm's command, told where to listen by $SESSIOND_SOCKET or $PORT. It
// learns who it serves from the environment and from X-Sessiond-User on
// each request. It knows its session from its first instruction, so it
// cannot wait as a spare, and it has no hibernate/resume of its own.
import type { WorkerRealm } from '../config.ts'
import type { Identity } from '../dispatcher.ts'
import type { WorkerEndpoint } from '../worker-endpoint.ts'
import { childEnv, sessionEnv } from './child-env.ts'
import { checkChildRealm, childRealmProblems, childSession } from './child-session.ts'
import type { ChildSession } from './child-session.ts'
import { ChildWorker } from './child-worker.ts'
import type { ChildSpawn } from './child-worker.ts'
import type { KindHost, SessionStart, Worker, WorkerKind } from './worker-kind.ts'
import { unreadSettings } from './kind-settings.ts'

export const execKind: WorkerKind = {
  name: 'exec',
  hibernates: false,

  validate (realm) {
    const out = [...childRealmProblems(realm), ...unreadSettings(realm)]
    if (realm.command === undefined) out.push(['command', 'an argv array such as ["python3", "app.py"] for kind exec'])
    if (realm.handler !== undefined) out.push(['handler', 'no handler for kind exec (it runs command)'])
    return out
  },

  check: checkChildRealm,

  async start (realm: WorkerRealm, host: KindHost, { identity, logger, onExit }: SessionStart): Promise<Worker> {
    const session = await childSession(realm, host, identity)
    return ChildWorker.start(
      { realm, spawn: execSpawn(realm, identity, session), registry: host.children, memory: host.memoryLimits, logger, onExit },
      { endpoint: session.endpoint, headers: ['x-sessiond-user', identity.user], logger, onExit })
  }
}

/** The realm's command for one session, switched to its account by the sandbox before it runs. */
function execSpawn (realm: WorkerRealm, identity: Identity, { endpoint, view, privateTmp, storeUrl, account, release }: ChildSession): ChildSpawn {
  return {
    argv: substituteArgv(realm.command ?? [], view),
    env: {
      ...childEnv(),
      ...sessionEnv(identity, realm.name, view, storeUrl),
      ...(account?.home !== undefined && { HOME: account.home }),
      ...(account?.user !== undefined && { USER: account.user, LOGNAME: account.user })
    },
    cwd: endpoint.dir,
    ipc: false,
    sandbox: {
      ...(account && { account: { uid: account.uid, gid: account.gid, ...(account.user !== undefined && { user: account.user }) } }),
      // A uid of its own is worth little if /tmp is shared: its directory is its /tmp.
      privateTmp
    },
    release
  }
}

/** Replaces $PORT and $SESSIOND_SOCKET in argv, so servers that take them as arguments run unmodified. */
export function substituteArgv (argv: string[], endpoint: WorkerEndpoint): string[] {
  const port = endpoint.kind === 'port' ? String(endpoint.port) : ''
  const socket = endpoint.kind === 'unix' ? endpoint.socketPath : ''
  return argv.map(a => a.replaceAll('$SESSIOND_SOCKET', socket).replaceAll('$PORT', port))
}
