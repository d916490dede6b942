// The entry of a `process` worker: a Node child process that serves one
// (session, realm) handler over HTTP on the socket the supervisor chose, and
// takes its lifecycle (claim, stop) over the IPC channel.
//
// It boots without a session, so that the supervisor can keep it as a spare:
// until the claim arrives it has loaded the runtime and, when it will not
// change accounts, the handler's module, and nothing else.
import { once } from 'node:events'
import { redactingLogger } from './log-redact.ts'
import { ProtocolError, notStartedBySupervisor } from './errors.ts'
import { handlerFromModule } from './handler.ts'
import { checkpointHandler, handlerContext, startOrResume, stopHandler, unavailableStore } from './handler-lifecycle.ts'
import { serveHttp } from './http-mode.ts'
import { HttpUpgrades } from './http-upgrades.ts'
import { HttpStoreClient } from './http-store-client.ts'
import { warmHttpPath } from './warm-up.ts'
import type { StopReason } from './transport/messages.ts'
import type { FromProcess, ToProcess } from './transport/process-messages.ts'

const env = process.env
const required = (name: string): string => {
  const v = env[name]
  if (!v) throw notStartedBySupervisor(`${name} is not set`)
  return v
}
if (!process.send) throw notStartedBySupervisor('no IPC channel')
const send = (m: FromProcess): Promise<void> => new Promise((resolve, reject) => process.send!(m, undefined, {}, err => err ? reject(err) : resolve()))
// The supervisor went away: nobody can reach this worker any more.
process.once('disconnect', () => process.exit(0))

const handlerPath = required('SESSIOND_HANDLER')
const realm = required('SESSIOND_REALM')
let handlerModule = env.SESSIOND_PRELOAD === '1' ? await import(handlerPath) : undefined
// Made at boot, so that a claim only adds the session to it.
const realmLog = redactingLogger(env.SESSIOND_LOG_LEVEL ?? 'info', { realm })
if (env.SESSIOND_SPARE === '1') await warmHttpPath()
await send({ t: 'booted' })

const [claim] = await once(process, 'message') as [ToProcess]
if (claim.t === 'stop') process.exit(0)
if (claim.t !== 'claim') throw new ProtocolError(`expected claim, got ${(claim as { t: string }).t}`)
Object.assign(env, claim.env)
// Started as root for a realm with runAs: become the account first, with its
// supplementary groups, before any handler code is loaded.
if (claim.runAs) {
  const { user, uid, gid, home } = claim.runAs
  // POSIX-only API that @types/node does not declare.
  if (user !== undefined) (process as unknown as { initgroups (user: string, extraGroup: number): void }).initgroups(user, gid)
  else process.setgroups!([])
  process.setgid!(gid)
  process.setuid!(uid)
  env.HOME = home
}
process.chdir(claim.cwd)

const httpStore = env.SESSIOND_STORE_URL ? new HttpStoreClient(env.SESSIOND_STORE_URL) : null
const { ctx, stopping: stopController, sockets } = handlerContext({
  sessionId: required('SESSIOND_SESSION_ID'),
  user: required('SESSIOND_USER'),
  realm,
  store: httpStore ?? unavailableStore('no SESSIOND_STORE_URL: the session store is not reachable from this worker'),
  log: realmLog.child({ session: env.SESSIOND_SESSION_HASH })
})

handlerModule ??= await import(handlerPath)
const handler = handlerFromModule(handlerModule, handlerPath)
await startOrResume(handler, ctx, claim.resume)
const upgrades = new HttpUpgrades()
sockets.acceptor = (request, headers) => upgrades.accept(request, headers)
const server = await serveHttp(handler, ctx, { upgrades, ...(env.SESSIOND_SOCKET ? { socket: env.SESSIOND_SOCKET } : { port: Number(required('PORT')) }) })
await send({ t: 'ready' })

let stopping = false
async function stop (reason: StopReason): Promise<never> {
  if (stopping) return new Promise<never>(() => { /* the first stop exits */ })
  stopping = true
  server.close()
  server.closeIdleConnections()
  try {
    // The state goes to the supervisor, if it is still there to take it.
    const hibernated = await stopHandler(handler, ctx, stopController, reason, process.connected, sockets)
    // What the sockets were told (parked, closed) leaves before the process does.
    await upgrades.flush(1000)
    if (hibernated) await send({ t: 'hibernated', state: hibernated.state })
    // A lock the handler left open would otherwise block the session's writers until its lease ends.
    await httpStore?.release()
  } catch (err) {
    ctx.log.error({ err }, 'stopping failed')
  } finally {
    process.exit(0)
  }
}
/** A checkpoint: the handler's state while it goes on serving. */
async function checkpoint (): Promise<void> {
  try {
    const hibernated = await checkpointHandler(handler, ctx)
    if (!stopping) await send({ t: 'checkpointed', ...(hibernated && { hibernated }) })
  } catch (err) {
    if (!stopping) await send({ t: 'checkpointed', error: (err as Error)?.message ?? String(err) }).catch(() => { /* the supervisor went away */ })
  }
}
process.on('message', (m: ToProcess) => {
  if (m.t === 'stop') void stop(m.reason)
  else if (m.t === 'checkpoint') void checkpoint()
})
// An operator's SIGTERM is a shutdown: the state goes to the supervisor if it is still there.
process.once('SIGTERM', () => void stop('shutdown'))
