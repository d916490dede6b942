// "Send whole or stream", for every runtime that turns a handler's Response
// into bytes (the thread transport's PortServer, the process kind's HTTP
// mode): a body that is already complete (a string, a buffer) goes out in
// one piece with its head; anything slower starts streaming at once.

/** A body that streams: its first chunk, and the read after it, already under way. */
export interface StreamingBody {
  first: Uint8Array
  next: Promise<ReadableStreamReadResult<Uint8Array>>
}

/**
 * The whole body (null when empty) if it is complete within a few microtask
 * turns, else its start. A complete body's last read resolves in one turn;
 * waiting for a macrotask (setImmediate) instead would cost every response
 * an event-loop iteration.
 */
export async function wholeOrStream (reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array | null | StreamingBody> {
  const first = await reader.read()
  if (first.done) return null
  const next = reader.read()
  const early = await settledWithinMicrotasks(next)
  if (early?.done) return first.value
  return { first: first.value, next }
}

/** The value of `p` if it settles within a few microtask turns, else undefined. */
async function settledWithinMicrotasks<T> (p: Promise<T>): Promise<T | undefined> {
  let value: T | undefined
  p.then(v => { value = v }, () => { /* the caller awaits p itself and sees the error */ })
  for (let i = 0; i < 3 && value === undefined; i++) await null
  return value
}

export const isStreaming = (body: Uint8Array | null | StreamingBody): body is StreamingBody =>
  body !== null && !(body instanceof Uint8Array)
