import { pathToFileURL } from 'node:url'
import pino from 'pino'
import type { TestContext } from 'node:test'
import { MemoryStore } from '@sessiond/session-store'
import { Supervisor } from '../src/supervisor.ts'
import type { WorkerRealm } from '../src/config.ts'
import type { WorkerResponse } from '../src/worker-instance.ts'

export const fixture = (name: string) => pathToFileURL(new URL(`./fixtures/${name}`, import.meta.url).pathname).href

export function realm (over: Partial<WorkerRealm> = {}): WorkerRealm {
  return {
    name: 'r',
    kind: 'thread',
    handler: fixture('counter.ts'),
    idleTimeout: 60_000,
    maxLifetime: 0,
    startTimeout: 10_000,
    stopTimeout: 2_000,
    requestTimeout: 60_000,
    listen: 'unix',
    concurrency: 16,
    queue: 64,
    queueTimeout: 10_000,
    spares: 0,
    ...over
  }
}

export function setup (t: TestContext, realms: WorkerRealm[] = [realm()]) {
  const store = new MemoryStore()
  const supervisor = new Supervisor({ realms, store, logger: pino({ level: 'silent' }) })
  t.after(async () => {
    await supervisor.close()
    await store.close()
  })
  const get = async (sessionId: string, user: string, path = '/', realmName = realms[0].name) => {
    const res = await supervisor.dispatch({
      sessionId,
      realm: realmName,
      identity: async () => (await store.lookup(sessionId)) && { sessionId, user },
      method: 'GET',
      url: 'http://test' + path,
      headers: [],
      body: null
    })
    return { status: res.status, json: JSON.parse(Buffer.from(await bodyBytes(res)).toString()) }
  }
  return { store, supervisor, get }
}

export async function bodyBytes (res: WorkerResponse): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array()
  if (res.body instanceof Uint8Array) return res.body
  const parts: Buffer[] = []
  for await (const c of res.body) parts.push(c)
  return Buffer.concat(parts)
}
