import { createHmac, timingSafeEqual } from 'node:crypto'
import { isSessionId } from './session-id.ts'

// A token that opens one session's data through the HTTP API, and nothing
// else: `<session id>.<HMAC-SHA256(key, "sessiond-store\0" + id), base64url>`,
// or, naming who holds it, `<session id>.<holder>.<HMAC over id and holder>`.
// Stateless, so any gateway holding the key verifies it; it dies with the
// session (the id no longer exists) and with regenerate_id (a new id needs a
// new token). The key is the deployment's, never a worker's. The holder
// (one worker, minted by the supervisor) is what the HTTP API records with
// each lock it grants, so that the locks of a worker known dead can be
// dropped at once (HttpLockTable.dropHolder).

const LABEL = 'sessiond-store\0'
const HOLDER = /^[A-Za-z0-9_-]{1,64}$/

function mac (key: Buffer, id: string, holder: string | undefined): Buffer {
  return createHmac('sha256', key).update(LABEL + id + (holder === undefined ? '' : `\0${holder}`)).digest()
}

/** What a verified token names. */
export interface StoreTokenClaims {
  sessionId: string
  holder?: string
}

/** A token for one session; `holder` (1 to 64 base64url characters) names the worker it is for. */
export function storeToken (key: Buffer, sessionId: string, holder?: string): string {
  if (holder !== undefined && !HOLDER.test(holder)) throw new TypeError('a store token holder is 1 to 64 base64url characters')
  return `${sessionId}.${holder === undefined ? '' : `${holder}.`}${mac(key, sessionId, holder).toString('base64url')}`
}

/** The session and holder a token was made for, or undefined when it is not one of ours. */
export function readStoreToken (key: Buffer, token: string): StoreTokenClaims | undefined {
  const parts = token.split('.')
  if (parts.length !== 2 && parts.length !== 3) return undefined
  const id = parts[0]
  const holder = parts.length === 3 ? parts[1] : undefined
  if (!isSessionId(id) || (holder !== undefined && !HOLDER.test(holder))) return undefined
  const given = Buffer.from(parts[parts.length - 1], 'base64url')
  const want = mac(key, id, holder)
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined
  return holder === undefined ? { sessionId: id } : { sessionId: id, holder }
}

/** The session id a token was made for, or undefined when it is not one of ours. */
export function verifyStoreToken (key: Buffer, token: string): string | undefined {
  return readStoreToken(key, token)?.sessionId
}
