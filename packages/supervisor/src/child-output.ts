import type { Readable } from 'node:stream'
import type { Logger } from 'pino'

const MAX_LINE = 8 * 1024
const LINES_PER_SECOND = 100

/**
 * A child's stdout or stderr as log lines bound to its realm and session
 * (a getter: a spare learns its session when it is claimed).
 * Lines are cut at MAX_LINE (a child that never writes a newline cannot make
 * us buffer without end) and limited to LINES_PER_SECOND per stream; what is
 * dropped is counted in the next line that gets through.
 */
export function logChildOutput (stream: Readable, log: () => Logger, name: 'stdout' | 'stderr'): void {
  let partial = ''
  let windowStart = Date.now()
  let sent = 0
  let dropped = 0
  const emit = (line: string) => {
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
    if (name === 'stderr') log().warn({ stream: name, ...extra }, line)
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
}
