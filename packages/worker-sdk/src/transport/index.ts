// @sessiond/worker-sdk/transport: how the supervisor talks to its workers.
// Internal to sessiond, not for handler authors: handlers import the
// package's root (`@sessiond/worker-sdk`), and this surface changes with
// the supervisor, without notice.
//
// What is here:
//   - the thread transport: one MessagePort per worker (per session),
//     requests multiplexed by id, bodies streamed both ways under a window
//     with acks. `PortClient` is the supervisor's end; the worker's end
//     (PortServer) runs inside the thread runtime. Messages and their
//     flow: messages.ts.
//   - socket channels on the same port: an upgrade the worker accepts
//     becomes a long-lived id carrying text and binary frames both ways
//     under the same window, closed with a code and a reason
//     (`PortClient.upgrade`, `SocketChannel`).
//   - the same channel over an upgraded HTTP connection, for process
//     workers' sockets: stream-port.ts.
//   - the process kind's control messages (its requests travel as HTTP;
//     only the lifecycle uses Node's IPC channel): process-messages.ts.
//   - the context kind's thread-level messages (a shared thread's control
//     port: attach a session's port, ping): context-messages.ts.
//   - the lifecycle both kinds share: StopReason, ThreadTask.
export type {
  CheckpointedMessage, ClaimMessage, ControlFromWorker, ControlToWorker, EncodedError, FromWorker, HeaderList, Parked, StopMessage, StopReason,
  StoppedMessage, StoreCallMessage, StoreOp, StoreResultMessage, ThreadTask, ThreadTaskResult, ToWorker
} from './messages.ts'
export { PROTOCOL_VERSION } from './protocol-version.ts'
export { PortClient } from './port-client.ts'
export type { ClientRequest, ClientResponse, PortClientOptions, UpgradeRequest } from './port-client.ts'
export { ABNORMAL_CLOSE, OVERFLOW_CLOSE, SocketChannel } from './socket-channel.ts'
export { MAX_STREAM_MESSAGE, SOCKET_HEADER, SOCKET_UPGRADE, StreamPort, socketOverStream } from './stream-port.ts'
export type { StreamChannelOptions } from './stream-port.ts'
export { STOP_CLOSE_CODES } from './stop-close-codes.ts'
export type { MessageSink } from './message-sink.ts'
export type { SocketChannelEvents, SocketClose, SocketData } from './socket-channel.ts'
export { RemoteError, SDK_ERROR_HEADER, decodeError } from './error-codec.ts'
export { ProtocolError } from './parse.ts'
export type { FromProcess, ProcessCheckpoint, ProcessClaim, ProcessStop, ToProcess } from './process-messages.ts'
export type { AttachMessage, ContextThreadTask, FromContextThread, ToContextThread } from './context-messages.ts'
export { parseFromContextThread } from './context-messages.ts'
