/**
 * How many line-protocol commands run at once across every connection.
 * A command waits for a slot in order of arrival; a freed slot goes
 * straight to the oldest waiter. Each connection runs its commands one at
 * a time, so one client holds at most one slot.
 */
export class CommandSlots {
  #free: number
  #waiting: Array<() => void> = []

  constructor (slots: number) {
    this.#free = slots
  }

  /** Resolves once a slot is this caller's; `release` gives it back. */
  acquire (): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--
      return undefined
    }
    return new Promise(resolve => this.#waiting.push(resolve))
  }

  release (): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#free++
  }
}
