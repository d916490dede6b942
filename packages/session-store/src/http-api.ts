import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify'
import { ModeInvalidError, ReadOnlyError, StoreAuthError, ValueInvalidError } from './errors.ts'
import { MAX_VALUE_BYTES } from './limits.ts'
import { verifyStoreToken } from './store-token.ts'
import type { LockMode, SessionHandle, SessionStore } from './store.ts'

// The session's data, addressable by URL:
//   GET    /keys/:key   → 200 the value as text/plain, 404 when missing
//   PUT    /keys/:key   ← the value (any content type, taken as UTF-8 text) → 204
//   DELETE /keys/:key   → 204
//   GET    /            → 200 every key and value as a JSON object
//   PUT    /            ← a JSON object of strings: replaces all the data (put_all) → 204
// The lock mode comes from `X-Sessiond-Lock: r|rw` or `?lock=r|rw`. Reads
// default to `r` (committed data, never waits); a read with `rw` waits for
// any writer to finish first. Writes always go through the lock; `r` on a
// write is refused. The session is the caller's own and never comes from
// the URL: a token scoped to one session (Bearer, the password of Basic
// auth, or `?token=`), else whatever `sessionFromRequest` finds (the
// gateway's cookie).

export interface StoreHttpApiOptions {
  store: SessionStore
  /** The key of store tokens (store-token.ts); without it tokens are not accepted. */
  tokenKey?: Buffer
  /** The caller's own session by other means, such as the gateway's session cookie. */
  sessionFromRequest?: (request: FastifyRequest) => string | undefined
}

type Reader = Pick<SessionHandle, 'get' | 'getAll'>

const BODY_LIMIT = MAX_VALUE_BYTES * 4 + 64 * 1024

/** A Fastify plugin: register it with a prefix, such as `/_sessiond/store`. */
export async function storeHttpApi (app: FastifyInstance, { store, tokenKey, sessionFromRequest }: StoreHttpApiOptions): Promise<void> {
  // Values are text whatever the client calls them; put_all parses its own JSON.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body))
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    const coded = typeof err.code === 'string' && /^(STORE|FST)_ERR_/.test(err.code)
    if (status >= 500) request.log.error({ err }, 'store request failed')
    return reply.code(status).send({ error: coded ? err.code : 'STORE_ERR_INTERNAL', message: coded ? err.message : 'internal error' })
  })

  function sessionOf (request: FastifyRequest): string {
    const token = tokenOf(request)
    if (token !== undefined) {
      const id = tokenKey ? verifyStoreToken(tokenKey, token) : undefined
      if (id === undefined) throw new StoreAuthError()
      return id
    }
    const id = sessionFromRequest?.(request)
    if (id === undefined) throw new StoreAuthError()
    return id
  }

  app.get<{ Params: { key: string } }>('/keys/:key', async (request, reply) => {
    const id = sessionOf(request)
    const value = await read(id, modeOf(request, 'r'), h => h.get(request.params.key))
    if (value === undefined) return reply.code(404).send({ error: 'STORE_ERR_KEY_MISSING', message: 'key does not exist' })
    return reply.type('text/plain; charset=utf-8').send(value)
  })

  app.put<{ Params: { key: string } }>('/keys/:key', async (request, reply) => {
    const id = sessionOf(request)
    writeMode(request)
    await store.put(id, request.params.key, bodyText(request))
    return reply.code(204).send()
  })

  app.delete<{ Params: { key: string } }>('/keys/:key', async (request, reply) => {
    const id = sessionOf(request)
    writeMode(request)
    await store.remove(id, request.params.key)
    return reply.code(204).send()
  })

  app.get('/', async (request, reply) => {
    const id = sessionOf(request)
    return reply.send(await read(id, modeOf(request, 'r'), h => h.getAll()))
  })

  app.put('/', async (request, reply) => {
    const id = sessionOf(request)
    writeMode(request)
    let data: unknown
    try {
      data = JSON.parse(bodyText(request))
    } catch (err) {
      throw new ValueInvalidError({ cause: err })
    }
    await store.putAll(id, data as Record<string, string>)
    return reply.code(204).send()
  })

  async function read<T> (id: string, mode: LockMode, fn: (h: Reader) => Promise<T>): Promise<T> {
    if (mode === 'r') return fn({ get: k => store.get(id, k), getAll: () => store.getAll(id) })
    // rw on a read: wait for the writer in progress, read what it committed, let go.
    const h = await store.open(id, 'rw')
    try {
      return await fn(h)
    } finally {
      await h.discard()
    }
  }
}

function tokenOf (request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8')
    return decoded.slice(decoded.indexOf(':') + 1)
  }
  const q = (request.query as Record<string, unknown> | undefined)?.token
  return typeof q === 'string' ? q : undefined
}

function modeOf (request: FastifyRequest, fallback: LockMode): LockMode {
  const header = request.headers['x-sessiond-lock']
  const query = (request.query as Record<string, unknown> | undefined)?.lock
  const mode = typeof header === 'string' ? header : typeof query === 'string' ? query : fallback
  if (mode !== 'r' && mode !== 'rw') throw new ModeInvalidError()
  return mode
}

function writeMode (request: FastifyRequest): void {
  if (modeOf(request, 'rw') !== 'rw') throw new ReadOnlyError()
}

function bodyText (request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : ''
}

