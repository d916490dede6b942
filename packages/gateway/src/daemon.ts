import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { openStore } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import { Supervisor } from '@sessiond/supervisor'
import type { Config } from './config.ts'
import { loadCookieKey } from './cookie-key.ts'
import { ensureDemoUser } from './demo-user.ts'
import { buildServer } from './server.ts'
import { UsersFile } from './users-file.ts'

export interface Daemon {
  app: FastifyInstance
  url: string
  supervisor: Supervisor
  store: SessionStore
  demo: { user: string, password: string | null } | null
  close (): Promise<void>
}

const GC_EVERY_MS = 10 * 60_000

/** One process: gateway + embedded supervisor + session store, listening. */
export async function startDaemon (config: Config, logger: Logger): Promise<Daemon> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const cookieKey = await loadCookieKey(config.dataDir)
  const users = new UsersFile(config.users.file)
  await users.prepare()
  const demo = config.users.demo ? await ensureDemoUser(users, config.users.demo, config.dataDir) : null
  const store = openStore({ kind: config.store.kind, dataDir: config.dataDir })
  const supervisor = new Supervisor({ realms: config.realms, store, logger: logger.child({ component: 'supervisor' }) })
  const app = await buildServer({ config, logger, store, supervisor, users, cookieKey })

  const gc = setInterval(() => {
    store.gc().then(n => { if (n > 0) logger.debug({ removed: n }, 'expired sessions collected') },
      err => logger.error({ err }, 'session gc failed'))
  }, GC_EVERY_MS)
  gc.unref()

  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    clearInterval(gc)
    await supervisor.close()
    await store.close()
    throw err
  }
  const addr = app.server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  let closing: Promise<void> | null = null
  return {
    app,
    url: `http://${host}:${addr.port}`,
    supervisor,
    store,
    demo,
    close () {
      closing ??= (async () => {
        clearInterval(gc)
        // Stop taking requests and let in-flight ones finish, then stop every worker, then the store.
        await app.close()
        await supervisor.close()
        await store.close()
      })()
      return closing
    }
  }
}
