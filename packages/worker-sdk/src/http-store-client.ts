import type { SessionData } from './context.ts'
import { SdkError } from './errors.ts'

/**
 * `ctx.store` for workers outside the daemon's process: the store's HTTP
 * API at SESSIOND_STORE_URL, whose userinfo carries a token scoped to this
 * one session (`http://session:<token>@host:port/_sessiond/store`).
 * Until `open`, each call is one request and one atomic store operation.
 * `open('rw')` takes the session's lock (`POST /lock`) and every later call
 * carries its id (`X-Sessiond-Lock-Id`), concurrent requests of this worker
 * included, until `commit()` (`POST /commit`): the same rules as a thread
 * worker's `ctx.store`. `open('r')` needs no request: calls carry
 * `X-Sessiond-Lock: r`, so writes are refused (STORE_ERR_READ_ONLY).
 *
 * @example
 * const store = new HttpStoreClient(process.env.SESSIOND_STORE_URL!)
 * await store.open('rw')
 * await store.put('visits', String(Number(await store.get('visits') ?? 0) + 1))
 * await store.commit()
 */
export class HttpStoreClient implements SessionData {
  #base: string
  #auth: string
  #mode: 'r' | 'rw' | null = null
  #lockId: string | null = null

  constructor (storeUrl: string) {
    const url = new URL(storeUrl)
    // fetch refuses URLs with credentials: the token travels as a header.
    this.#auth = 'Bearer ' + decodeURIComponent(url.password)
    url.username = ''
    url.password = ''
    this.#base = url.href.replace(/\/$/, '')
  }

  /** One request; `lockId` names the lock it acts under. Answers null for a missing key. */
  async #call (method: string, path: string, body?: string, lockId = this.#lockId): Promise<Response | null> {
    const headers: Record<string, string> = { authorization: this.#auth }
    if (body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8'
    if (lockId !== null) headers['x-sessiond-lock-id'] = lockId
    else if (this.#mode === 'r') headers['x-sessiond-lock'] = 'r'
    const res = await fetch(this.#base + path, { method, headers, body })
    if (res.ok) return res
    const err = await res.json().catch(() => ({})) as { error?: string, message?: string }
    // A missing key is an answer; a missing session is an error, as in a thread worker.
    if (err.error === 'STORE_ERR_KEY_MISSING') return null
    throw new SdkError(err.error ?? 'SDK_ERR_STORE', err.message ?? `store answered ${res.status}`, res.status)
  }

  #key (key: string): string {
    return '/keys/' + encodeURIComponent(key)
  }

  async get (key: string): Promise<string | undefined> {
    const res = await this.#call('GET', this.#key(key))
    return res === null ? undefined : res.text()
  }

  async put (key: string, value: string): Promise<void> {
    await this.#call('PUT', this.#key(key), value)
  }

  async remove (key: string): Promise<void> {
    await this.#call('DELETE', this.#key(key))
  }

  async getAll (): Promise<Record<string, string>> {
    return (await this.#call('GET', '/'))!.json() as Promise<Record<string, string>>
  }

  async keys (): Promise<string[]> {
    // Code-point order (UTF-8 bytes), as the store answers keys everywhere else.
    return Object.keys(await this.getAll()).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  }

  async exists (key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  async open (mode: 'r' | 'rw'): Promise<void> {
    if (mode !== 'r' && mode !== 'rw') throw new SdkError('STORE_ERR_MODE_INVALID', 'lock mode must be r or rw', 400)
    // Reads of a worker that holds the lock already go through it.
    if (mode === 'r' && this.#lockId !== null) return
    if (mode === 'r') {
      this.#mode = 'r'
      return
    }
    if (this.#mode === 'r') this.#mode = null
    // A lock held by another request of this worker is not taken from under it:
    // this one waits at the store like any other writer, until that one commits.
    const res = await this.#call('POST', '/lock', undefined, null)
    const { lockId } = await res!.json() as { lockId: string }
    if (this.#lockId !== null) {
      await this.#call('POST', '/commit', undefined, lockId)
      return
    }
    this.#lockId = lockId
    this.#mode = 'rw'
  }

  async commit (): Promise<void> {
    // Taken off before awaiting, so that a call arriving meanwhile does not use a committing lock.
    const lockId = this.#lockId
    this.#lockId = null
    this.#mode = null
    if (lockId !== null) await this.#call('POST', '/commit', undefined, lockId)
  }

  /** Gives up a held rw lock without writing its staged changes: for a worker that stops. */
  async release (): Promise<void> {
    const lockId = this.#lockId
    this.#lockId = null
    this.#mode = null
    if (lockId !== null) await this.#call('DELETE', '/lock', undefined, lockId)
  }
}
