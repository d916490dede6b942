import type { SessionData } from './context.ts'
import { SdkError } from './errors.ts'

/**
 * `ctx.store` for workers outside the daemon's process: the store's HTTP
 * API at SESSIOND_STORE_URL, whose userinfo carries a token scoped to this
 * one session (`http://session:<token>@host:port/_sessiond/store`).
 * Each call is one request and one atomic store operation.
 *
 * @example
 * const store = new HttpStoreClient(process.env.SESSIOND_STORE_URL!)
 * await store.put('theme', 'dark')
 */
export class HttpStoreClient implements SessionData {
  #base: string
  #auth: string

  constructor (storeUrl: string) {
    const url = new URL(storeUrl)
    // fetch refuses URLs with credentials: the token travels as a header.
    this.#auth = 'Bearer ' + decodeURIComponent(url.password)
    url.username = ''
    url.password = ''
    this.#base = url.href.replace(/\/$/, '')
  }

  async #call (method: string, path: string, body?: string): Promise<Response> {
    const res = await fetch(this.#base + path, {
      method,
      headers: { authorization: this.#auth, ...(body !== undefined && { 'content-type': 'text/plain; charset=utf-8' }) },
      body
    })
    if (res.ok || (res.status === 404 && method === 'GET')) return res
    const err = await res.json().catch(() => ({})) as { error?: string, message?: string }
    throw new SdkError(err.error ?? 'SDK_ERR_STORE', err.message ?? `store answered ${res.status}`, res.status)
  }

  #key (key: string): string {
    return '/keys/' + encodeURIComponent(key)
  }

  async get (key: string): Promise<string | undefined> {
    const res = await this.#call('GET', this.#key(key))
    return res.status === 404 ? undefined : res.text()
  }

  async put (key: string, value: string): Promise<void> {
    await this.#call('PUT', this.#key(key), value)
  }

  async remove (key: string): Promise<void> {
    await this.#call('DELETE', this.#key(key))
  }

  async getAll (): Promise<Record<string, string>> {
    return (await this.#call('GET', '/')).json() as Promise<Record<string, string>>
  }

  async keys (): Promise<string[]> {
    return Object.keys(await this.getAll()).sort()
  }

  async exists (key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined
  }

  open (): Promise<void> {
    return Promise.reject(new SdkError('SDK_ERR_STORE_UNSUPPORTED', 'explicit open/commit is not available over the HTTP store API yet; single operations are atomic', 501))
  }

  commit (): Promise<void> {
    return this.open()
  }
}
