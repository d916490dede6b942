/**
 * The value of `p` if it settles within a few microtask turns, else undefined.
 * A complete body's last read resolves in one turn; waiting for a macrotask
 * (setImmediate) instead would cost every response an event-loop iteration.
 */
export async function settledWithinMicrotasks<T> (p: Promise<T>): Promise<T | undefined> {
  let value: T | undefined
  p.then(v => { value = v }, () => { /* the caller awaits p itself and sees the error */ })
  for (let i = 0; i < 3 && value === undefined; i++) await null
  return value
}
