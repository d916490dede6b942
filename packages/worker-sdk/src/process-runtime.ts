// The entry of a `process` worker: a Node child process that serves one
// (session, realm) handler over HTTP on the socket the supervisor chose.
import pino from 'pino'
import type { HandlerContext, SessionData } from './context.ts'
import { SdkError } from './errors.ts'
import { handlerFromModule } from './handler.ts'
import { serveHttp } from './http-mode.ts'
import { HttpStoreClient } from './http-store-client.ts'

const env = process.env
const required = (name: string): string => {
  const v = env[name]
  if (!v) throw new SdkError('SDK_ERR_ENV', `${name} is not set: this entry is started by the sessiond supervisor`, 500)
  return v
}

const unavailable = (): Promise<never> => Promise.reject(new SdkError('SDK_ERR_STORE_UNAVAILABLE', 'no SESSIOND_STORE_URL: the session store is not reachable from this worker', 503))
const store: SessionData = env.SESSIOND_STORE_URL
  ? new HttpStoreClient(env.SESSIOND_STORE_URL)
  : { get: unavailable, put: unavailable, remove: unavailable, keys: unavailable, getAll: unavailable, exists: unavailable, open: unavailable, commit: unavailable }

const stop = new AbortController()
const realm = required('SESSIOND_REALM')
const ctx: HandlerContext = Object.freeze({
  sessionId: required('SESSIOND_SESSION_ID'),
  user: required('SESSIOND_USER'),
  realm,
  store,
  log: pino({ level: env.SESSIOND_LOG_LEVEL ?? 'info', base: { realm, session: env.SESSIOND_SESSION_HASH } }),
  signal: stop.signal
})

// Started as root for a realm with runAs: become the account first, with its
// supplementary groups, before any handler code is loaded.
if (env.SESSIOND_RUN_AS) {
  const [user, uid, gid] = env.SESSIOND_RUN_AS.split(':')
  // POSIX-only API that @types/node does not declare.
  ;(process as unknown as { initgroups (user: string, extraGroup: number): void }).initgroups(user, Number(gid))
  process.setgid!(Number(gid))
  process.setuid!(Number(uid))
  delete env.SESSIOND_RUN_AS
}

const handler = handlerFromModule(await import(required('SESSIOND_HANDLER')), env.SESSIOND_HANDLER!)
await handler.start?.(ctx)
const server = await serveHttp(handler, ctx, env.SESSIOND_SOCKET ? { socket: env.SESSIOND_SOCKET } : { port: Number(required('PORT')) })

process.once('SIGTERM', async () => {
  stop.abort(new SdkError('SDK_ERR_STOPPING', 'worker stopping', 503))
  server.close()
  server.closeIdleConnections()
  try {
    await handler.stop?.(ctx)
  } finally {
    process.exit(0)
  }
})
