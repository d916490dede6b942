import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'

type RawRequest = IncomingMessage | Http2ServerRequest

export interface BasePath {
  /** Fastify's `rewriteUrl`: the URL below the base path, so that every route is matched as if at the root. */
  rewriteUrl: (req: RawRequest) => string
  /** Whether the request was for a path outside the base path (a 404: nothing lives there). */
  isOutside: (req: RawRequest) => boolean
}

/**
 * The gateway mounted under `basePath` by a front server that passes the
 * prefix on (`/apps/login` reaches the login route). The prefix is matched
 * as written, byte for byte: `/%61pps/` is outside.
 */
export function basePathRewriter (basePath: string): BasePath {
  const outside = new WeakSet<RawRequest>()
  return {
    rewriteUrl (req) {
      const url = req.url ?? '/'
      if (!url.startsWith(basePath)) {
        outside.add(req)
        return url
      }
      const rest = url.slice(basePath.length)
      if (rest === '' || rest.startsWith('?')) return '/' + rest
      if (rest.startsWith('/')) return rest
      // `/appsx` is not below `/apps`.
      outside.add(req)
      return url
    },
    isOutside: (req) => outside.has(req)
  }
}
