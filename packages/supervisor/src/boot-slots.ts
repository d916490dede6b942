/**
 * At most `n` worker starts at once on a host, the others waiting in order
 * of arrival. Booting a worker is CPU work (a V8 isolate, a process, the
 * handler's modules); when a host takes over many sessions at once (a
 * failover, a drain elsewhere), unbounded starts leave its main thread a
 * sliver of the cores, late with its lease renewals and its answers. A
 * freed slot goes straight to the oldest waiter.
 */
export class BootSlots {
  #free: number
  #waiting: Array<() => void> = []

  constructor (n: number) {
    this.#free = n
  }

  async run<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>(resolve => this.#waiting.push(resolve))
    try {
      return await fn()
    } finally {
      const next = this.#waiting.shift()
      if (next) next()
      else this.#free++
    }
  }

  get waiting (): number {
    return this.#waiting.length
  }
}
