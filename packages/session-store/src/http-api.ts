import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KeyMissingError, LockWaitInvalidError, ModeInvalidError, ReadOnlyError, StoreAuthError, ValueInvalidError, ValueTooLargeError } from './errors.ts'
import { HttpLockTable } from './http-lock-table.ts'
import { MAX_VALUE_BYTES } from './limits.ts'
import { readStoreToken } from './store-token.ts'
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
//
// A lock held across requests (open rw … commit), see http-lock-table.ts:
//   POST   /lock[?wait=ms]  → 201 { lockId, leaseMs, expiresAt }, also in X-Sessiond-Lock-Id;
//                             423 STORE_ERR_LOCK_TIMEOUT once `wait` (default: the store's) is over
//   any data request with `X-Sessiond-Lock-Id` acts under it: writes are staged, reads see them
//   POST   /commit          with X-Sessiond-Lock-Id → 204: the staged writes land, the lock is released
//   DELETE /lock            with X-Sessiond-Lock-Id → 204: the lock is released, the staged writes dropped
// A lock id that is not live for this session (its lease ended, committed,
// released, dropped with its holder, ended by a read that found the store
// down, or another session's) answers 409 STORE_ERR_LOCK_LOST. A token
// naming a holder (store-token.ts) records it with the locks it takes, for
// HttpLockTable.dropHolder.

export interface StoreHttpApiOptions {
  store: SessionStore
  /** The key of store tokens (store-token.ts); without it tokens are not accepted. */
  tokenKey?: Buffer
  /** The caller's own session by other means, such as the gateway's session cookie. */
  sessionFromRequest?: (request: FastifyRequest) => string | undefined
  /**
   * The table of locks held across requests; by default one of its own.
   * Given, its owner can drop the locks of a worker known dead
   * (`locks.dropHolder(holder)`). The API closes it when the app closes.
   */
  locks?: HttpLockTable
}

type Reader = Pick<SessionHandle, 'get' | 'getAll'>

const BODY_LIMIT = MAX_VALUE_BYTES * 4 + 64 * 1024
/** The longest a POST /lock may wait: a waiting request holds a connection. */
export const MAX_LOCK_WAIT_MS = 60_000
const LOCK_ID = 'x-sessiond-lock-id'

/** A Fastify plugin: register it with a prefix, such as `/_sessiond/store`. */
export async function storeHttpApi (app: FastifyInstance, { store, tokenKey, sessionFromRequest, locks = new HttpLockTable(store) }: StoreHttpApiOptions): Promise<void> {
  const unsubscribe = store.onSessionEnd(id => locks.forget(id))
  app.addHook('onClose', async () => {
    unsubscribe()
    await locks.close()
  })

  // Values are text whatever the client calls them; put_all parses its own JSON.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body))
  // Errors go up to the host's error reply (the gateway's error-reply.ts), the one shape
  // every error takes; here they only become the store's own.
  app.setErrorHandler((err: FastifyError, request) => {
    // A value's body is the value: past the limit it is the store's own error, whichever check saw it first.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && request.routeOptions.url?.endsWith('/keys/*')) err = new ValueTooLargeError(MAX_VALUE_BYTES)
    // Locked (423) and unavailable (503) are worth another try soon; the client picks its own wait.
    if (err.statusCode === 423 || err.statusCode === 503) Object.assign(err, { retryAfter: 1 })
    throw err
  })

  /** The caller's session, and the worker its token names, if any. */
  function callerOf (request: FastifyRequest): { sessionId: string, holder?: string } {
    const token = tokenOf(request)
    if (token !== undefined) {
      const claims = tokenKey ? readStoreToken(tokenKey, token) : undefined
      if (claims === undefined) throw new StoreAuthError()
      return claims
    }
    const sessionId = sessionFromRequest?.(request)
    if (sessionId === undefined) throw new StoreAuthError()
    return { sessionId }
  }

  function sessionOf (request: FastifyRequest): string {
    return callerOf(request).sessionId
  }

  /** The writes of this request: staged under its lock, or single operations on the store when its mode is rw. */
  function writerOf (request: FastifyRequest, id: string) {
    const lockId = lockIdOf(request)
    if (lockId !== undefined) return locks.use(id, lockId)
    writeMode(request)
    return {
      put: (k: string, v: string) => store.put(id, k, v),
      remove: (k: string) => store.remove(id, k),
      putAll: (data: Record<string, string>) => store.putAll(id, data)
    }
  }

  // A wildcard, not `:key`: the router caps a parameter at 100 characters, and keys may have 256 bytes.
  app.get('/keys/*', async (request, reply) => {
    const id = sessionOf(request)
    const key = keyOf(request)
    const value = await read(request, id, h => h.get(key))
    if (value === undefined) throw new KeyMissingError()
    return reply.type('text/plain; charset=utf-8').send(value)
  })

  // A UTF-8 body counts bytes as the store does, so nothing larger than a value is read in.
  app.put('/keys/*', { bodyLimit: MAX_VALUE_BYTES }, async (request, reply) => {
    await writerOf(request, sessionOf(request)).put(keyOf(request), bodyText(request))
    return reply.code(204).send()
  })

  app.delete('/keys/*', async (request, reply) => {
    await writerOf(request, sessionOf(request)).remove(keyOf(request))
    return reply.code(204).send()
  })

  app.get('/', async (request, reply) => {
    return reply.send(await read(request, sessionOf(request), h => h.getAll()))
  })

  app.put('/', async (request, reply) => {
    const writer = writerOf(request, sessionOf(request))
    let data: unknown
    try {
      data = JSON.parse(bodyText(request))
    } catch (err) {
      throw new ValueInvalidError({ cause: err })
    }
    await writer.putAll(data as Record<string, string>)
    return reply.code(204).send()
  })

  app.post('/lock', async (request, reply) => {
    const { sessionId, holder } = callerOf(request)
    const waitMs = waitOf(request)
    const gone = clientGone(reply)
    const granted = await locks.take(sessionId, waitMs, () => !gone(), holder)
    // The client hung up while it waited: nobody reads this answer.
    if (granted === null) return reply.code(204).send()
    const { lockId, leaseEnd } = granted
    return reply.code(201).header(LOCK_ID, lockId).send({ lockId, leaseMs: Math.max(0, leaseEnd - Date.now()), expiresAt: leaseEnd })
  })

  app.post('/commit', async (request, reply) => {
    await locks.commit(sessionOf(request), requiredLockId(request))
    return reply.code(204).send()
  })

  app.delete('/lock', async (request, reply) => {
    await locks.release(sessionOf(request), requiredLockId(request))
    return reply.code(204).send()
  })

  /** Reads under the request's lock (its staged writes included), else in the request's mode. */
  async function read<T> (request: FastifyRequest, id: string, fn: (h: Reader) => Promise<T>): Promise<T> {
    const lockId = lockIdOf(request)
    if (lockId !== undefined) return locks.read(id, lockId, fn)
    if (modeOf(request, 'r') === 'r') return fn({ get: k => store.get(id, k), getAll: () => store.getAll(id) })
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

function keyOf (request: FastifyRequest): string {
  return (request.params as Record<string, string>)['*']
}

function lockIdOf (request: FastifyRequest): string | undefined {
  const v = request.headers[LOCK_ID]
  return typeof v === 'string' ? v : undefined
}

function requiredLockId (request: FastifyRequest): string {
  // No id names no live lock: the same answer as an ended one.
  return lockIdOf(request) ?? ''
}

function waitOf (request: FastifyRequest): number | undefined {
  const q = (request.query as Record<string, unknown> | undefined)?.wait
  if (q === undefined) return undefined
  const n = typeof q === 'string' && /^\d{1,9}$/.test(q) ? Number(q) : Number.NaN
  if (!(n <= MAX_LOCK_WAIT_MS)) throw new LockWaitInvalidError(MAX_LOCK_WAIT_MS)
  return n
}

/** Whether the client hung up before its answer: a lock granted to nobody must not wait for its lease. */
function clientGone (reply: FastifyReply): () => boolean {
  let gone = false
  reply.raw.once('close', () => { gone = !reply.raw.writableFinished })
  return () => gone
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
