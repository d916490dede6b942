import type { Logger } from 'pino'
import type { SessionStore } from '@sessiond/session-store'
import type { Hibernated } from './kinds/worker-kind.ts'

/**
 * Saved worker state lives in the session store's worker-state namespace
 * (saveWorkerState), as JSON: apart from the session's own keys, so that
 * neither the handler's ctx.store, the HTTP API, the line protocol nor any
 * client can read or forge it; it survives a daemon restart and reaches
 * whichever host resumes the session. In a cluster each save and clear
 * carries the worker's placement epoch, and the store refuses a stale one
 * (a host whose session moved on). Failures here never fail a request:
 * the worst case is a cold start, which a handler must handle anyway.
 */
export class HibernationStore {
  #store: SessionStore

  constructor (store: SessionStore) {
    this.#store = store
  }

  /** Answers whether the state was saved. */
  async save (sessionId: string, realm: string, { state }: Hibernated, log: Logger, epoch?: number): Promise<boolean> {
    let json: string | undefined
    try {
      json = JSON.stringify(state)
    } catch (err) {
      log.warn({ err, realm }, 'hibernated state is not JSON; it is dropped')
      return false
    }
    if (json === undefined) return false
    try {
      await this.#store.saveWorkerState(sessionId, realm, json, epoch === undefined ? {} : { epoch })
      return true
    } catch (err) {
      const code = (err as { code?: string }).code
      // Logout or expiry may have ended the session meanwhile: nothing to resume then.
      if (code === 'STORE_ERR_NO_SESSION') log.debug({ err, realm }, 'hibernated state not saved')
      // Its session was placed on another host since: that host's worker owns the state now.
      else if (code === 'STORE_ERR_STALE_EPOCH') log.warn({ realm, epoch }, 'hibernated state not saved: this worker\'s placement is stale')
      else log.warn({ err, realm }, 'hibernated state not saved; the session will start cold')
      return false
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

  async clear (sessionId: string, realm: string, log: Logger, epoch?: number): Promise<void> {
    try {
      await this.#store.clearWorkerState(sessionId, realm, epoch === undefined ? {} : { epoch })
    } catch (err) {
      log.debug({ err, realm }, 'hibernated state not cleared')
    }
  }
}
