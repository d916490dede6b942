// The worker protocol, shared with the supervisor through the ./protocol export.
export * from './messages.ts'
export { FlowWindow, WINDOW_BYTES, ACK_EVERY_BYTES } from './flow-window.ts'
export { encodeError, decodeError, RemoteError } from './error-codec.ts'
export { parseToWorker, parseFromWorker, ProtocolError } from './parse.ts'
export { countStreamedBytes, PACE_BYTES } from './gc-pacer.ts'
export type { FromProcess, ProcessClaim, ProcessStop, ToProcess } from './process-messages.ts'
