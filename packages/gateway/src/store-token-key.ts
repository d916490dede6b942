import { hkdfSync } from 'node:crypto'

/**
 * The key of store tokens (the HTTP API's per-session tokens), derived from
 * the cookie key: one secret file to keep, and rotating it retires both.
 */
export function storeTokenKey (cookieKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), 'sessiond store token', 32))
}
