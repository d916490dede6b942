// One way for the main thread to get a request answered by a dedicated
// worker thread, as bench/thread-transport.ts compares them.

export interface Transport {
  /** A letter for the tables: a, b, c. */
  key: string
  name: string
  /** Starts `workers` dedicated workers, each to serve up to `inFlight` requests at once. */
  start (workers: number, inFlight: number): Promise<void>
  /** One GET round trip to worker `w`, the response body read whole. */
  request (w: number): Promise<void>
  close (): Promise<void>
}

/** The request every transport sends: a GET with a few headers, as the gateway forwards it. */
export const BENCH_HEADERS = ['host', 'localhost', 'accept', '*/*', 'user-agent', 'bench', 'x-forwarded-for', '127.0.0.1']
export const BENCH_URL = 'http://localhost/'

export function checkHello (status: number, byteLength: number): void {
  if (status !== 200 || byteLength !== 5) throw new Error(`unexpected answer: status ${status}, ${byteLength} bytes`)
}
