// @sessiond/worker-sdk: what handler authors import. What sessiond's own
// packages need lives behind ./internal and ./transport, not here.
export { defineHandler } from './handler.ts'
export { fromNodeListener } from './node-listener.ts'
export type { Handler } from './handler.ts'
export type { HandlerContext, SessionData, SessionDataOps } from './context.ts'
export { SdkError } from './errors.ts'
export { HttpStoreClient } from './http-store-client.ts'
export { WorkerWebSocket, MAX_ATTACHMENT_BYTES } from './web-socket.ts'
export type { UpgradeOptions, WebSocketUpgrade } from './session-sockets.ts'
