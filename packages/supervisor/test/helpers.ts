import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import type { TestContext } from 'node:test'
import { MemoryStore } from '@sessiond/session-store'
import { Supervisor } from '../src/supervisor.ts'
import { workerRealm } from '../src/config.ts'
import type { WorkerRealm } from '../src/config.ts'
import type { WorkerResponse } from '../src/dispatcher.ts'

export const fixture = (name: string) => pathToFileURL(new URL(`./fixtures/${name}`, import.meta.url).pathname).href

export function realm (over: Partial<WorkerRealm> = {}): WorkerRealm {
  return { ...workerRealm({ name: 'r', handler: fixture('counter.ts'), stopTimeout: 2_000 }), ...over }
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
      identity: { sessionId, user },
      realm: realmName,
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

/** A supervisor with its own run directory, and a call() that answers status, headers and text. */
export async function setupKinds (t: TestContext, realms: WorkerRealm[]) {
  const store = new MemoryStore()
  const runDir = await mkdtemp(join(tmpdir(), 'sd-run-'))
  const supervisor = new Supervisor({ realms, store, logger: pino({ level: 'silent' }), runDir })
  t.after(async () => {
    await supervisor.close()
    await rm(runDir, { recursive: true, force: true })
  })
  const call = async (sessionId: string, user: string, realmName: string, path = '/', init: { method?: string, body?: Readable | null, headers?: string[] } = {}) => {
    const res = await supervisor.dispatch({
      identity: { sessionId, user },
      realm: realmName,
      method: init.method ?? 'GET',
      url: 'http://test' + path,
      headers: ['host', 'test', 'x-sessiond-user', 'spoofed', ...(init.headers ?? [])],
      body: init.body ?? null
    })
    return { status: res.status, headers: res.headers, text: Buffer.from(await bodyBytes(res)).toString() }
  }
  return { store, supervisor, call }
}

/** Polls until `check` holds; time passing is what such tests are about, so they wait for the fact rather than guess. */
export async function eventually (check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
