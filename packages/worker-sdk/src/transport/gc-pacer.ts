import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

// Why this exists: a streamed chunk's ArrayBuffer is freed only when the
// small JS object that owns it is collected, and V8 paces young-generation
// collections by JS allocation, not by the bytes those objects hold. Streaming
// 64 KiB chunks therefore lets 100+ MiB of dead buffers pile up per isolate
// before a scavenge (measured: test/memory/streaming.test.ts). A minor GC
// after every PACE_BYTES that crossed the port keeps that dead set bounded;
// scavenging a young space of mostly dead objects costs well under 1 ms.

type Gc = (options?: { type?: 'major' | 'minor', execution?: 'sync' | 'async' }) => void

/** Bytes streamed through this isolate between two paced minor collections. */
export const PACE_BYTES = 16 * 1024 * 1024

let gc: Gc | null | undefined
let streamed = 0

function collector (): Gc | null {
  if (gc === undefined) {
    try {
      // The flag installs `gc` in contexts created after it is set.
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as Gc
    } catch {
      // No way to ask for a collection here: V8's own pacing applies.
      gc = null
    }
  }
  return gc
}

/** Counts bytes that crossed a port in this isolate; collects young garbage every PACE_BYTES. */
export function countStreamedBytes (bytes: number): void {
  streamed += bytes
  if (streamed < PACE_BYTES) return
  streamed = 0
  collector()?.({ type: 'minor' })
}
