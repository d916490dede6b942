import { createHmac, timingSafeEqual } from 'node:crypto'
import { isSessionId } from './session-id.ts'

// A token that opens one session's data through the HTTP API, and nothing
// else: `<session id>.<HMAC-SHA256(key, "sessiond-store\0" + id), base64url>`.
// Stateless, so any gateway holding the key verifies it; it dies with the
// session (the id no longer exists) and with regenerate_id (a new id needs a
// new token). The key is the deployment's, never a worker's.

const LABEL = 'sessiond-store\0'

function mac (key: Buffer, id: string): Buffer {
  return createHmac('sha256', key).update(LABEL + id).digest()
}

export function storeToken (key: Buffer, sessionId: string): string {
  return `${sessionId}.${mac(key, sessionId).toString('base64url')}`
}

/** The session id a token was made for, or undefined when it is not one of ours. */
export function verifyStoreToken (key: Buffer, token: string): string | undefined {
  const dot = token.indexOf('.')
  if (dot === -1) return undefined
  const id = token.slice(0, dot)
  if (!isSessionId(id)) return undefined
  const given = Buffer.from(token.slice(dot + 1), 'base64url')
  const want = mac(key, id)
  return given.length === want.length && timingSafeEqual(given, want) ? id : undefined
}
