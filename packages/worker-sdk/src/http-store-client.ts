import type { SessionDataOps } from './context.ts'
import { SdkError } from './errors.ts'
import { SessionLockClient } from './session-lock-client.ts'
import type { LockBackend } from './session-lock-client.ts'

/**
 * The store's HTTP API at SESSIOND_STORE_URL as a lock backend: single
 * operations are plain requests; `lock` is `POST /lock`, and a request
 * under a lock carries its id in `X-Sessiond-Lock-Id` until `POST /commit`
 * (or `DELETE /lock` to discard).
 */
class HttpStoreBackend implements LockBackend<string> {
  readonly single: SessionDataOps
  #base: string
  #auth: string

  constructor (storeUrl: string) {
    const url = new URL(storeUrl)
    // fetch refuses URLs with credentials: the token travels as a header.
    this.#auth = 'Bearer ' + decodeURIComponent(url.password)
    url.username = ''
    url.password = ''
    this.#base = url.href.replace(/\/$/, '')
    this.single = this.#ops(null)
  }

  /** One request; `lockId` names the lock it acts under. Answers null for a missing key. */
  async #call (method: string, path: string, lockId: string | null, body?: string): Promise<Response | null> {
    const headers: Record<string, string> = { authorization: this.#auth }
    if (body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8'
    if (lockId !== null) headers['x-sessiond-lock-id'] = lockId
    const res = await fetch(this.#base + path, { method, headers, body })
    if (res.ok) return res
    const err = await res.json().catch(() => ({})) as { error?: string, message?: string }
    // A missing key is an answer; a missing session is an error, as in a thread worker.
    if (err.error === 'STORE_ERR_KEY_MISSING') return null
    throw new SdkError(err.error ?? 'SDK_ERR_STORE', err.message ?? `store answered ${res.status}`, res.status)
  }

  #ops (lockId: string | null): SessionDataOps {
    const key = (k: string) => '/keys/' + encodeURIComponent(k)
    const get = async (k: string) => {
      const res = await this.#call('GET', key(k), lockId)
      return res === null ? undefined : res.text()
    }
    const getAll = async () => (await this.#call('GET', '/', lockId))!.json() as Promise<Record<string, string>>
    return {
      get,
      getAll,
      put: async (k, v) => { await this.#call('PUT', key(k), lockId, v) },
      remove: async (k) => { await this.#call('DELETE', key(k), lockId) },
      exists: async (k) => (await get(k)) !== undefined,
      // Code-point order (UTF-8 bytes), as the store answers keys everywhere else.
      keys: async () => Object.keys(await getAll()).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    }
  }

  async lock (): Promise<string> {
    const res = await this.#call('POST', '/lock', null)
    return (await res!.json() as { lockId: string }).lockId
  }

  under (lockId: string): SessionDataOps {
    return this.#ops(lockId)
  }

  async commit (lockId: string): Promise<void> {
    await this.#call('POST', '/commit', lockId)
  }

  async discard (lockId: string): Promise<void> {
    await this.#call('DELETE', '/lock', lockId)
  }
}

/**
 * `ctx.store` for workers outside the daemon's process: the store's HTTP
 * API at SESSIOND_STORE_URL, whose userinfo carries a token scoped to this
 * one session (`http://session:<token>@host:port/_sessiond/store`), under
 * the same lock rules as a thread worker's `ctx.store` (SessionLockClient).
 *
 * @example
 * const store = new HttpStoreClient(process.env.SESSIOND_STORE_URL!)
 * await store.open('rw')
 * await store.put('visits', String(Number(await store.get('visits') ?? 0) + 1))
 * await store.commit()
 */
export class HttpStoreClient extends SessionLockClient<string> {
  constructor (storeUrl: string) {
    super(new HttpStoreBackend(storeUrl))
  }
}
