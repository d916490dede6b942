import { randomBytes } from 'node:crypto'

/** 256 bits from the CSPRNG, hex: the same shape as the classic protocol's ids. */
export function newSessionId (): string {
  return randomBytes(32).toString('hex')
}

const SHAPE = /^[0-9a-f]{64}$/

/** Rejects anything that could not have come from newSessionId before it reaches a backend. */
export function isSessionId (value: unknown): value is string {
  return typeof value === 'string' && SHAPE.test(value)
}
