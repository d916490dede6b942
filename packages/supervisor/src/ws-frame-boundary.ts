/**
 * Where WebSocket frames begin and end in a byte stream, read from frame
 * headers only (RFC 6455 §5.2): what lets the supervisor end an exec
 * worker's tunnel with a close frame of its own without cutting a frame of
 * the worker's in half. Payloads are skipped by count, never copied.
 */
export class FrameBoundary {
  /** Payload bytes of the current frame still to come. */
  #left = 0
  /** Header bytes of the next frame read so far. */
  #header: number[] = []

  /** Whether the bytes fed so far end exactly where a frame does. */
  get atBoundary (): boolean { return this.#left === 0 && this.#header.length === 0 }

  /**
   * Reads `chunk`; answers how many of its bytes it read. With `stop`, it
   * stops at the first frame boundary it reaches (0 when it is at one).
   */
  feed (chunk: Uint8Array, stop = false): number {
    let i = 0
    while (i < chunk.byteLength) {
      if (stop && this.atBoundary) return i
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.byteLength - i)
        this.#left -= n
        i += n
        continue
      }
      this.#header.push(chunk[i++])
      const length = FrameBoundary.#payloadLength(this.#header)
      if (length !== null) {
        this.#left = length
        this.#header = []
      }
    }
    return i
  }

  /** The payload length once the header is complete, else null. */
  static #payloadLength (h: number[]): number | null {
    if (h.length < 2) return null
    const len7 = h[1] & 0x7f
    const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0
    const mask = (h[1] & 0x80) !== 0 ? 4 : 0
    if (h.length < 2 + ext + mask) return null
    if (ext === 0) return len7
    let n = 0
    for (let k = 2; k < 2 + ext; k++) n = n * 256 + h[k]
    return n
  }
}

/** A close frame as a server sends it (unmasked): the code, then the reason (at most 123 bytes). */
export function serverCloseFrame (code: number, reason: string): Buffer {
  const why = Buffer.from(reason).subarray(0, 123)
  return Buffer.concat([Buffer.from([0x88, 2 + why.byteLength, code >> 8, code & 0xff]), why])
}
