// The check every package's errors test makes (fastify's test/internals/errors.test.js
// is the model): each code of the package's table is unique, has an HTTP
// status, and is listed in docs/errors.md with that status.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ROOT } from './daemon.ts'

/** The codes and statuses of a module of @fastify/error constructors. */
export function codesOf (errors: Record<string, unknown>): Array<{ name: string, code: string, status: number }> {
  const out: Array<{ name: string, code: string, status: number }> = []
  for (const [name, E] of Object.entries(errors)) {
    if (typeof E !== 'function' || !/Error$/.test(name)) continue
    const e = new (E as new (...args: unknown[]) => { code?: unknown, statusCode?: unknown })('a', 'b', 'c')
    if (typeof e.code !== 'string') continue
    out.push({ name, code: e.code, status: e.statusCode as number })
  }
  return out
}

/** docs/errors.md's rows: code → status. */
export function documented (): Map<string, number> {
  const rows = new Map<string, number>()
  for (const m of readFileSync(`${ROOT}/docs/errors.md`, 'utf8').matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1], Number(m[2]))
  return rows
}

export function assertTable (codes: Array<{ name: string, code: string, status: number }>, prefix: string): void {
  assert.ok(codes.length > 0)
  const seen = new Map<string, string>()
  const docs = documented()
  for (const { name, code, status } of codes) {
    assert.ok(code.startsWith(prefix) || code.startsWith('STORE_ERR_'), `${name}: ${code} has the package's prefix`)
    assert.ok(!seen.has(code), `${code} is defined once (${seen.get(code)} and ${name})`)
    seen.set(code, name)
    assert.ok(Number.isInteger(status) && status >= 400 && status < 600, `${code} has an HTTP status (${status})`)
    assert.equal(docs.get(code), status, `docs/errors.md lists ${code} with status ${status}`)
  }
}
