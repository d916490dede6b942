import { Type } from '@sinclair/typebox'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$'
const DURATION = new RegExp(DURATION_PATTERN)

/** `250ms`, `30s`, `15m`, `12h`, `7d`, or a number of milliseconds. */
export function parseDuration (value: string | number): number {
  if (typeof value === 'number') return value
  const m = DURATION.exec(value)
  if (!m) throw new TypeError(`not a duration: ${value}`)
  return Math.round(Number.parseFloat(value) * UNITS[m[2]])
}

/** A duration in a config file: milliseconds, or a number with a unit. */
export const Duration = (defaultValue?: string) => Type.Transform(
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: DURATION_PATTERN })], {
    // Without one, for a setting wrapped in Type.Optional whose absence means something of its own.
    ...(defaultValue !== undefined && { default: defaultValue }),
    description: 'a duration: milliseconds, or a number followed by ms, s, m, h or d'
  })
).Decode(parseDuration).Encode((ms: number) => ms)
