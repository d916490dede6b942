import type { FastifyInstance } from 'fastify'
import { PATH_PREFIX } from './config.ts'
import { BadForwardedPrefixError } from './errors.ts'
import { sessionOf } from './session-cookie.ts'
import { trustedPeer } from './trusted-peer.ts'

const VALID = new RegExp(PATH_PREFIX)

/**
 * An X-Forwarded-Prefix value as a prefix: '' for none (`/` or empty),
 * `/apps` for `/apps` or `/apps/`, undefined when it is not a plain path
 * prefix. Of a list, the last entry counts, as Fastify does for -Host and
 * -Proto: it is the one the nearest proxy set.
 */
export function forwardedPrefix (value: string | string[]): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value
  let prefix = joined.slice(joined.lastIndexOf(',') + 1).trim()
  if (prefix.endsWith('/')) prefix = prefix.slice(0, -1)
  if (prefix === '') return ''
  return VALID.test(prefix) ? prefix : undefined
}

export interface PublicPrefixOptions {
  /** The part of the path that the front server passes on (config `basePath`). */
  basePath?: string
  trustProxy: readonly string[]
}

/**
 * Sets `request.publicPrefix`: the path in front of the gateway's own paths
 * as the client sees it, which redirects, forms, `next` and the cookie's
 * Path are built from. It is what a trusted front server says it stripped
 * (X-Forwarded-Prefix) followed by what it kept (`basePath`). From a peer
 * that is not in trustProxy, X-Forwarded-Prefix changes nothing. Registered
 * after the session cookie: it sets the cookie's path for this request.
 */
export function registerPublicPrefix (app: FastifyInstance, { basePath = '', trustProxy }: PublicPrefixOptions): void {
  if (basePath === '' && trustProxy.length === 0) return
  const trusted = trustedPeer(trustProxy)
  app.addHook('onRequest', async (request) => {
    let stripped = ''
    const header = request.headers['x-forwarded-prefix']
    if (header !== undefined && trusted(request)) {
      const prefix = forwardedPrefix(header)
      // A trusted proxy that sends nonsense is misconfigured: saying so beats redirecting users to the wrong place.
      if (prefix === undefined) throw new BadForwardedPrefixError()
      stripped = prefix
    }
    const prefix = stripped + basePath
    if (prefix === '') return
    request.publicPrefix = prefix
    // Path=/apps covers /apps and /apps/… and nothing else on the host (RFC 6265 §5.1.4).
    sessionOf(request).options({ path: prefix })
  })
}
