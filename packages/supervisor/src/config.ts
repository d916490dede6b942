import { Type } from '@sinclair/typebox'
import type { StaticDecode } from '@sinclair/typebox'
import { DURATION_PATTERN, parseDuration } from './duration.ts'

/** A duration in a config file: milliseconds, or a number with a unit. */
export const Duration = (defaultValue: string) => Type.Transform(
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: DURATION_PATTERN })], {
    default: defaultValue,
    description: 'a duration: milliseconds, or a number followed by ms, s, m, h or d'
  })
).Decode(parseDuration).Encode((ms: number) => ms)

/** What the supervisor needs to know of a realm. The gateway adds mount and auth. */
export const WorkerRealmFields = {
  name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'a lower-case name: letters, digits and dashes' }),
  kind: Type.Literal('thread', { default: 'thread' }),
  handler: Type.String({ minLength: 1, description: 'the path of the handler module' }),
  idleTimeout: Duration('15m'),
  startTimeout: Duration('10s'),
  stopTimeout: Duration('5s'),
  /** Longest wait for a response's head; past it the request gets 504 and the worker is recycled. 0: no limit. */
  requestTimeout: Duration('60s'),
  resourceLimits: Type.Optional(Type.Object({
    maxOldGenerationSizeMb: Type.Optional(Type.Integer({ minimum: 8 })),
    maxYoungGenerationSizeMb: Type.Optional(Type.Integer({ minimum: 1 })),
    stackSizeMb: Type.Optional(Type.Integer({ minimum: 1 }))
  }, { additionalProperties: false }))
}

export const WorkerRealmSchema = Type.Object(WorkerRealmFields, { additionalProperties: false })

/** A realm as the supervisor uses it: durations in ms, handler an absolute file URL or path. */
export type WorkerRealm = StaticDecode<typeof WorkerRealmSchema>
