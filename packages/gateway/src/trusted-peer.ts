import proxyAddr from '@fastify/proxy-addr'
import type { FastifyRequest } from 'fastify'

/**
 * Whether the request's direct peer is one of `trustProxy`: the same test
 * (proxy-addr's, IPv4-mapped addresses included) that Fastify applies before
 * believing X-Forwarded-Proto and -Host, so that every forwarded header the
 * gateway reads is believed from the same peers and no others.
 */
export function trustedPeer (trustProxy: readonly string[]): (request: FastifyRequest) => boolean {
  if (trustProxy.length === 0) return () => false
  const trust = proxyAddr.compile([...trustProxy])
  return (request) => {
    const address = request.raw.socket?.remoteAddress
    return address !== undefined && trust(address, 0)
  }
}
