// @sessiond/worker-sdk: what handler authors import.
export { defineHandler, handlerFromModule } from './handler.ts'
export { fromNodeListener } from './node-listener.ts'
export type { Handler } from './handler.ts'
export type { HandlerContext, SessionData } from './context.ts'
export { SdkError } from './errors.ts'
export { sessionHash } from './session-hash.ts'
export { HttpStoreClient } from './http-store-client.ts'
