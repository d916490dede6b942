import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { RequestLogger } from '../src/request-logger.ts'

function capture (level: string) {
  const lines: Array<Record<string, unknown>> = []
  const parent = pino({ level }, { write: (s: string) => { lines.push(JSON.parse(s)) } })
  let children = 0
  const child = parent.child.bind(parent)
  parent.child = ((...args: Parameters<typeof child>) => { children++; return child(...args) }) as typeof parent.child
  return { parent, lines, children: () => children }
}

test('no child logger is made for a request that logs nothing at an enabled level', () => {
  const { parent, lines, children } = capture('info')
  const log = new RequestLogger(parent, { reqId: 'r1' }, {})
  log.debug('not at this level')
  log.trace('nor this')
  assert.equal(children(), 0)
  assert.equal(lines.length, 0)
})

test('a line at an enabled level comes from one child bound to the request id', () => {
  const { parent, lines, children } = capture('info')
  const log = new RequestLogger(parent, { reqId: 'r1' }, {})
  log.info({ code: 'X' }, 'first')
  log.error('second')
  assert.equal(children(), 1)
  assert.deepEqual(lines.map(l => [l.reqId, l.msg]), [['r1', 'first'], ['r1', 'second']])
  assert.equal(lines[0].code, 'X')
})
