import type { Config } from './config.ts'

/**
 * The limits Node's own HTTP/1 server takes from the config, the same for
 * the gateway's listener and the HTTP→HTTPS redirect listener.
 */
export function nodeHttpLimits (limits: Config['limits']): { maxHeaderSize: number, headersTimeout: number, connectionsCheckingInterval: number } {
  return {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeout,
    // Node checks header and request timeouts on this beat (30 s by default): a timeout can overrun by up to one beat.
    connectionsCheckingInterval: Math.max(250, Math.min(limits.headersTimeout / 4, 5000))
  }
}
