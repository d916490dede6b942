import type { Logger } from 'pino'
import type { SessionContext } from './session-context.ts'

interface Faultable {
  context: SessionContext
  /** Ends this session with the error; the thread and its other sessions go on. */
  fail (err: unknown): void
}

/**
 * Where an error that nobody caught on a shared thread goes. A thread of its
 * own (kind thread) may simply die of it; a shared thread would take every
 * session on it along. So an uncaught exception or unhandled rejection is
 * traced to the session whose context made it (an error or a promise leads,
 * by its prototypes, to its context's own Object.prototype) and ends that
 * session only. One that leads to no session came from the thread's own code,
 * and ends the thread, as Node would.
 */
export class ContextFaults {
  readonly #sessions = new Set<Faultable>()
  readonly #log: Logger

  constructor (log: Logger) {
    this.#log = log
    process.on('uncaughtException', (err) => this.#fault(err, err))
    process.on('unhandledRejection', (reason, promise) => this.#fault(reason, promise))
  }

  add (session: Faultable): void { this.#sessions.add(session) }
  delete (session: Faultable): void { this.#sessions.delete(session) }

  #fault (err: unknown, made: unknown): void {
    for (const s of this.#sessions) {
      if (s.context.owns(made) || s.context.owns(err)) return s.fail(err)
    }
    this.#log.fatal({ err }, 'uncaught error in a shared thread, from no session: the thread ends')
    process.exit(1)
  }
}
