import type { SessionStore } from '@sessiond/session-store'
import { within } from '@sessiond/supervisor'

export type ReadyState = 'starting' | 'ready' | 'draining'

/** How long one store check answers for every /readyz: a scraper polling it costs the store at most one lookup a second. */
const CHECK_REUSE_MS = 1000
const STORE_TIMEOUT_MS = 2000
/** An id no session has (ids are 64 hex digits): a lookup of it reaches the backend and finds nothing. */
const PROBE_ID = '0'.repeat(64)

/**
 * Whether the daemon takes work: `/readyz` answers 200 only while it is
 * ready (listening, not draining) and its store answers; `/healthz` only
 * says the process serves. The store is asked at most once a second.
 */
export class Readiness {
  state: ReadyState = 'starting'
  readonly #store: SessionStore
  #last: { at: number, problem: Promise<string | null> } | null = null

  constructor (store: SessionStore) {
    this.#store = store
  }

  /** Null when ready, else why not. */
  async problem (): Promise<string | null> {
    if (this.state !== 'ready') return this.state
    const now = Date.now()
    if (!this.#last || now - this.#last.at > CHECK_REUSE_MS) {
      this.#last = {
        at: now,
        problem: within(this.#store.lookup(PROBE_ID), STORE_TIMEOUT_MS, () => new Error(`no answer within ${STORE_TIMEOUT_MS} ms`))
          .then(() => null, (err: unknown) => `the session store does not answer: ${(err as Error).message}`)
      }
    }
    return this.#last.problem
  }
}
