import { createHash } from 'node:crypto'

/**
 * A short, stable tag for a session id that logs can carry: it tells one
 * session's lines from another's without revealing the id itself.
 */
export function sessionHash (sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 10)
}
