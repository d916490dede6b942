import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { newSessionId } from '../src/session-id.ts'
import { readStoreToken, storeToken, verifyStoreToken } from '../src/store-token.ts'

test('a token names its session, and its holder when it was minted for one', () => {
  const key = randomBytes(32)
  const id = newSessionId()
  assert.deepEqual(readStoreToken(key, storeToken(key, id)), { sessionId: id })
  assert.deepEqual(readStoreToken(key, storeToken(key, id, 'w-1_A')), { sessionId: id, holder: 'w-1_A' })
  assert.equal(verifyStoreToken(key, storeToken(key, id, 'w-1_A')), id)
})

test('a holder cannot be added, dropped or swapped in a token, and another key\'s token is nobody\'s', () => {
  const key = randomBytes(32)
  const id = newSessionId()
  const [, holder, mac] = storeToken(key, id, 'worker-a').split('.')
  assert.equal(holder, 'worker-a')
  assert.equal(readStoreToken(key, `${id}.worker-b.${mac}`), undefined, 'swapped')
  assert.equal(readStoreToken(key, `${id}.${mac}`), undefined, 'dropped')
  const [, plainMac] = storeToken(key, id).split('.')
  assert.equal(readStoreToken(key, `${id}.worker-a.${plainMac}`), undefined, 'added')
  assert.equal(readStoreToken(randomBytes(32), storeToken(key, id, 'worker-a')), undefined)
  for (const bad of ['', '.', `${id}..${mac}`, `${id}.a.b.${mac}`, `${id}.bad holder.${mac}`, 'x'.repeat(64)]) {
    assert.equal(readStoreToken(key, bad), undefined, JSON.stringify(bad))
  }
  assert.throws(() => storeToken(key, id, 'not base64url!'), TypeError)
})
