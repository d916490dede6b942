// Sending a body under a window, from either kind of source: the
// supervisor forwards a Node Readable (the gateway's request body), the
// worker a web ReadableStream (the handler's response body).
import type { Readable } from 'node:stream'
import type { Outflow } from './outflow.ts'

/**
 * Streams a Node Readable out, pausing it while the peer's window is full;
 * posts the end after the last chunk. `onError` gets the body's own error.
 */
export function pumpReadable (out: Outflow, body: Readable, onError: (err: Error) => void): void {
  body.on('data', (chunk: Buffer) => {
    if (out.chunk(chunk)) return
    body.pause()
    out.room().then(() => body.resume(), () => { /* stream over: discardReadable drains the rest */ })
  })
  body.once('end', () => out.end())
  body.once('error', onError)
}

/**
 * The peer answered without reading all of the body: the rest is read and
 * dropped, so that the client's connection stays usable for keep-alive.
 */
export function discardReadable (body: Readable): void {
  if (body.readableEnded) return
  body.removeAllListeners('data')
  body.resume()
}

/**
 * Streams the rest of a web body out, `next` being the read already under
 * way; posts the end. The next read starts only once the window has room,
 * so a slow peer slows the producer too. Rejects with the body's error.
 */
export async function pumpReader (out: Outflow, reader: ReadableStreamDefaultReader<Uint8Array>, next: Promise<ReadableStreamReadResult<Uint8Array>>): Promise<void> {
  for (;;) {
    const r = await next
    if (r.done) break
    if (!out.chunk(r.value)) await out.room()
    next = reader.read()
  }
  out.end()
}
