/**
 * Runs tasks one after another per key, any number of keys at once: the
 * login route checks one account's password attempts in turn, so that a
 * burst of parallel guesses is counted exactly instead of all slipping in
 * ahead of the first failure.
 */
export class SerialByKey {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T> (key: string, task: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key) ?? Promise.resolve()
    const result = before.then(task, task)
    // The tail never rejects, so one failed task does not fail the next.
    const tail = result.then(() => {}, () => {})
    this.#tails.set(key, tail)
    tail.then(() => { if (this.#tails.get(key) === tail) this.#tails.delete(key) })
    return result
  }

  get size (): number {
    return this.#tails.size
  }
}
