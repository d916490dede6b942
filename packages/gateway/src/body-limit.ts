import { Transform } from 'node:stream'
import type { Readable, TransformCallback } from 'node:stream'
import { BodyTooLargeError } from './errors.ts'

/**
 * A request body of unknown length (chunked) with a byte budget: past it the
 * stream fails with BodyTooLargeError, which aborts the worker's read and
 * becomes a 413. A body with a Content-Length is checked before dispatch and
 * needs no counting: Node's parser never delivers more than it announced.
 */
export class BodyLimit extends Transform {
  readonly #max: number
  #seen = 0

  constructor (max: number) {
    super()
    this.#max = max
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.byteLength
    if (this.#seen > this.#max) return done(new BodyTooLargeError(this.#max))
    done(null, chunk)
  }
}

function ignoreEarlyError (): void {
  // The consumer's own listener reports the error; see limitBody.
}

/** Pipes `body` through a BodyLimit; an error on the source fails the limited stream too. */
export function limitBody (body: Readable, max: number): Readable {
  const limited = new BodyLimit(max)
  body.once('error', err => limited.destroy(err))
  // The consumer attaches its listeners only once a worker is ready: an error before then
  // (the client left mid-body) must not be an uncaught 'error' event that ends the process.
  limited.on('error', ignoreEarlyError)
  // On overflow the rest of the body is not read: the 413 closes the connection.
  return body.pipe(limited)
}
