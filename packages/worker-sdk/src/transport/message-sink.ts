/**
 * What a stream's two sides post their messages to: a MessagePort for a
 * thread, a StreamPort (stream-port.ts) for a socket channel carried over
 * an upgraded HTTP connection to a child process.
 */
export interface MessageSink {
  postMessage (message: unknown): void
}
