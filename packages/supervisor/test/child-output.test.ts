import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough, Writable } from 'node:stream'
import { setImmediate as tick } from 'node:timers/promises'
import pino from 'pino'
import { logChildOutput } from '../src/child-output.ts'

/** A logger bound as a worker's is, writing its JSON lines into an array. */
function capture () {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } })
  const log = pino({ level: 'trace' }, sink).child({ realm: 'r', session: 'abc' })
  return { lines, log }
}

test('a process runtime\'s pino lines keep their level and fields, never the daemon\'s own keys; text stays text', async () => {
  const { lines, log } = capture()
  const out = new PassThrough()
  logChildOutput(out, () => log, 'stdout', true)
  out.write(JSON.stringify({ level: 40, time: 1, pid: 9, hostname: 'h', realm: 'spoofed', session: 'other', msg: 'disk nearly full', free: 3 }) + '\n')
  out.write('plain words\n')
  out.end()
  await tick()
  assert.equal(lines.length, 2)
  assert.equal(lines[0].level, 40)
  assert.equal(lines[0].msg, 'disk nearly full', 'the message, not JSON inside JSON')
  assert.equal(lines[0].free, 3)
  assert.equal(lines[0].realm, 'r')
  assert.equal(lines[0].session, 'abc')
  assert.equal(lines[1].level, 30)
  assert.equal(lines[1].msg, 'plain words')
})

test('an exec command\'s output is text, JSON or not, and its stderr is logged at info', async () => {
  const { lines, log } = capture()
  const err = new PassThrough()
  logChildOutput(err, () => log, 'stderr')
  const json = JSON.stringify({ level: 60, msg: 'pretend fatal' })
  err.end(json + '\n')
  await tick()
  assert.equal(lines.length, 1)
  assert.equal(lines[0].level, 30)
  assert.equal(lines[0].msg, json)
  assert.equal(lines[0].stream, 'stderr')
})
