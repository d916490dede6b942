import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'
import type { Hibernated } from './kinds/worker-kind.ts'

/**
 * Saved worker state lives in the session store's worker-state namespace
 * (saveWorkerState), as JSON: apart from the session's own keys, so that
 * neither the handler's ctx.store, the HTTP API, the line protocol nor any
 * client can read or forge it; it survives a daemon restart and reaches
 * whichever host resumes the session. Failures here never fail a request:
 * the worst case is a cold start, which a handler must handle anyway.
 */
export class HibernationStore {
  #store: SessionStore

  constructor (store: SessionStore) {
    this.#store = store
  }

  async save (sessionId: string, realm: string, { state }: Hibernated, log: Logger): Promise<void> {
    let json: string | undefined
    try {
      json = JSON.stringify(state)
    } catch (err) {
      log.warn({ err, realm }, 'hibernated state is not JSON; it is dropped')
      return
    }
    if (json === undefined) return
    try {
      await this.#store.saveWorkerState(sessionId, realm, json)
    } catch (err) {
      // Logout or expiry may have ended the session meanwhile: nothing to resume then.
      if ((err as { code?: string }).code === 'STORE_ERR_NO_SESSION') log.debug({ err, realm }, 'hibernated state not saved')
      else log.warn({ err, realm }, 'hibernated state not saved; the session will start cold')
    }
  }

  async load (sessionId: string, realm: string, log: Logger): Promise<Hibernated | undefined> {
    try {
      const json = await this.#store.loadWorkerState(sessionId, realm)
      return json === undefined ? undefined : { state: JSON.parse(json) as unknown }
    } catch (err) {
      log.warn({ err, realm }, 'hibernated state unreadable; starting cold')
      return undefined
    }
  }

  async clear (sessionId: string, realm: string, log: Logger): Promise<void> {
    try {
      await this.#store.clearWorkerState(sessionId, realm)
    } catch (err) {
      log.debug({ err, realm }, 'hibernated state not cleared')
    }
  }
}
