import type { Readable } from 'node:stream'
import type { Logger } from 'pino'

const MAX_LINE = 8 * 1024
const LINES_PER_SECOND = 100
const TAIL_LINES = 5
const TAIL_LINE = 300
/** pino's numeric levels, as the SDK's runtime writes them. */
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }
/** What the daemon's own logger sets: a line's copies of them are dropped, never believed. */
const OURS = new Set(['level', 'time', 'pid', 'hostname', 'realm', 'session', 'msg', 'stream', 'dropped'])

/**
 * A pino line from the SDK's process runtime, as an object and a level to
 * log it with again: logged as a string, it would be JSON inside JSON.
 */
function pinoLine (line: string): { level: typeof LEVELS[number], fields: Record<string, unknown>, msg: string } | null {
  if (line.charCodeAt(0) !== 123 /* { */) return null
  let obj: unknown
  try {
    obj = JSON.parse(line)
  } catch {
    return null
  }
  const o = obj as Record<string, unknown>
  const level = typeof o.level === 'number' ? LEVELS[o.level] : undefined
  if (!level) return null
  const fields: Record<string, unknown> = {}
  for (const k in o) if (!OURS.has(k)) fields[k] = o[k]
  return { level, fields, msg: typeof o.msg === 'string' ? o.msg : '' }
}

/**
 * A child's stdout or stderr as log lines bound to its realm and session
 * (a getter: a spare learns its session when it is claimed).
 * Lines are cut at MAX_LINE (a child that never writes a newline cannot make
 * us buffer without end) and limited to LINES_PER_SECOND per stream; what is
 * dropped is counted in the next line that gets through. With `structured`
 * (the SDK's own runtime, whose logger writes pino JSON), such a line keeps
 * its level and fields; any other child's output is text, logged as text.
 * stderr is logged at info: a child's diagnostics are not the daemon's warnings.
 */
export function logChildOutput (stream: Readable, log: () => Logger, name: 'stdout' | 'stderr', structured = false): OutputTail {
  let partial = ''
  const last: string[] = []
  let windowStart = Date.now()
  let sent = 0
  let dropped = 0
  const emit = (line: string) => {
    // Kept whatever the rate limit drops: a start that fails is explained by its last words.
    if (line.trim() !== '') {
      last.push(line.length > TAIL_LINE ? line.slice(0, TAIL_LINE) + '…' : line)
      if (last.length > TAIL_LINES) last.shift()
    }
    const now = Date.now()
    if (now - windowStart >= 1000) {
      windowStart = now
      sent = 0
    }
    if (sent >= LINES_PER_SECOND) {
      dropped++
      return
    }
    sent++
    const extra = dropped > 0 ? { dropped } : undefined
    dropped = 0
    const parsed = structured ? pinoLine(line) : null
    if (parsed) log()[parsed.level]({ ...parsed.fields, stream: name, ...extra }, parsed.msg)
    else log().info({ stream: name, ...extra }, line)
  }
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    let text = partial + chunk
    let nl = text.indexOf('\n')
    while (nl !== -1) {
      emit(text.slice(0, nl).replace(/\r$/, '').slice(0, MAX_LINE))
      text = text.slice(nl + 1)
      nl = text.indexOf('\n')
    }
    partial = text.length > MAX_LINE ? text.slice(0, MAX_LINE) : text
  })
  stream.on('end', () => { if (partial) emit(partial) })
  return { lines: () => [...last, ...(partial.trim() ? [partial.slice(0, TAIL_LINE)] : [])] }
}

/** The last lines a child wrote on a stream: the reason shown for a start that failed (a command not found, a traceback). */
export interface OutputTail {
  lines (): string[]
}
