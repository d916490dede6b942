import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import type { DispatchRequest, Identity, Supervisor, WorkerResponse } from '@sessiond/supervisor'
import type { Config, RealmConfig } from './config.ts'
import { isForwardableResponseHeader, requestHeadersFor } from './forwarded-headers.ts'
import { denyUnauthenticated } from './login.ts'
import { readSessionId, writeSession } from './session-cookie.ts'

export interface RealmRouterOptions {
  config: Config
  store: SessionStore
  supervisor: Supervisor
}

function hasBody (request: FastifyRequest): boolean {
  const h = request.headers
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')
}

function send (reply: FastifyReply, res: WorkerResponse): FastifyReply {
  reply.code(res.status)
  const whole = !(res.body && 'pipe' in res.body)
  const h = res.headers
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]
    // A whole body gets its length from Fastify; a worker's own figure could disagree.
    if (!isForwardableResponseHeader(name) || (whole && res.body && name === 'content-length')) continue
    reply.header(name, h[i + 1])
  }
  if (res.body === null) return reply.send()
  if (whole) {
    const u8 = res.body as Uint8Array
    return reply.send(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength))
  }
  return reply.send(res.body as Readable)
}

/**
 * Mounts every realm: `/mount/…` goes to the session's worker for that realm
 * with the prefix stripped; `/mount` alone redirects to `/mount/`. Bodies are
 * left unparsed and stream to the worker.
 */
export async function realmRouter (app: FastifyInstance, { config, store, supervisor }: RealmRouterOptions): Promise<void> {
  app.removeAllContentTypeParsers()
  // Leave every body untouched: the worker reads it as a stream.
  app.addContentTypeParser('*', (_request, _payload, done) => done(null))

  const maxAge = config.session.maxAge
  for (const realm of config.realms) {
    app.all(realm.mount, async (request, reply) => {
      const q = request.url.indexOf('?')
      return reply.redirect(realm.mount + '/' + (q === -1 ? '' : request.url.slice(q)), 308)
    })
    app.all(realm.mount + '/*', (request, reply) => handle(realm, request, reply))
  }

  async function handle (realm: RealmConfig, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    let sessionId = readSessionId(request)
    if (sessionId === undefined) {
      if (realm.auth !== 'anonymous') return denyUnauthenticated(request, reply)
      sessionId = await newAnonymousSession(request)
    }
    const call: DispatchRequest = {
      sessionId,
      realm: realm.name,
      // Consulted only when no worker is live: a live worker proves the session
      // is valid, so the hot path makes no store round trip.
      identity: lookupIdentity,
      method: request.method,
      url: `${request.protocol}://${request.host || 'localhost'}${request.url.slice(realm.mount.length)}`,
      headers: requestHeadersFor(request, realm.mount),
      body: hasBody(request) ? request.raw : null
    }
    try {
      return send(reply, await supervisor.dispatch(call))
    } catch (err) {
      if ((err as { code?: string }).code !== 'SUP_ERR_NO_SESSION') throw err
      if (realm.auth !== 'anonymous') return denyUnauthenticated(request, reply)
      // An anonymous visitor whose session expired simply gets a new one.
      call.sessionId = await newAnonymousSession(request)
      return send(reply, await supervisor.dispatch(call))
    }
  }

  async function newAnonymousSession (request: FastifyRequest): Promise<string> {
    const fresh = await store.create('anonymous', maxAge)
    writeSession(request, fresh.id)
    return fresh.id
  }

  async function lookupIdentity (sid: string): Promise<Identity | null> {
    const s = await store.lookup(sid)
    return s && { sessionId: s.id, user: s.user }
  }
}
