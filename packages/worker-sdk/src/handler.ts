import type { HandlerContext } from './context.ts'
import { invalidHandler } from './errors.ts'

/** The lifecycle of one (session, realm) worker. Only `fetch` is required. */
export interface Handler {
  /** Once, when the worker starts for this session and realm. */
  start?: (ctx: HandlerContext) => void | Promise<void>
  /** Every request of this session under the realm's mount, one worker, in order of arrival. */
  fetch: (request: Request, ctx: HandlerContext) => Response | Promise<Response>
  /** Before an idle stop or a move; the state is saved and given to `resume`. */
  hibernate?: (ctx: HandlerContext) => unknown
  /** Instead of `start` when saved state exists. */
  resume?: (state: unknown, ctx: HandlerContext) => void | Promise<void>
  /** On logout, idle stop and shutdown. */
  stop?: (ctx: HandlerContext) => void | Promise<void>
}

const BRAND = Symbol.for('sessiond.handler')

/**
 * Declares a realm's handler. Export the result as the module's default.
 *
 * @example
 * import { defineHandler } from '@sessiond/worker-sdk'
 *
 * let count = 0
 * export default defineHandler({
 *   fetch (request, ctx) {
 *     count++
 *     return Response.json({ user: ctx.user, count })
 *   }
 * })
 */
export function defineHandler<T extends Handler> (handler: T): T {
  if (typeof handler?.fetch !== 'function') throw invalidHandler('must define fetch(request, ctx)')
  for (const hook of ['start', 'hibernate', 'resume', 'stop'] as const) {
    if (handler[hook] !== undefined && typeof handler[hook] !== 'function') {
      throw invalidHandler(`hook ${hook} must be a function`)
    }
  }
  Object.defineProperty(handler, BRAND, { value: true })
  return handler
}

/** Takes a loaded module and finds its handler, accepting a plain `{ fetch }` too. */
export function handlerFromModule (mod: unknown, where: string): Handler {
  const candidate = (mod as { default?: unknown })?.default ?? mod
  if (typeof (candidate as Handler)?.fetch !== 'function') {
    throw invalidHandler(`${where} has no default export with fetch(request, ctx)`)
  }
  return candidate as Handler
}
