import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { once } from 'node:events'

/** A plain TCP client of the line protocol: sends lines, reads CRLF-ended answers in order. */
export interface LineClient {
  socket: Socket
  /** Everything received so far, raw. */
  received (): Buffer
  send (line: string): Promise<string>
  /** The next answer line, without its CRLF. */
  next (): Promise<string>
  closed: Promise<void>
}

export async function lineClient (port: number, host = '127.0.0.1'): Promise<LineClient> {
  const socket = connect(port, host)
  await once(socket, 'connect')
  let all = Buffer.alloc(0)
  let read = 0
  const waiting: Array<() => void> = []
  socket.on('data', (chunk: Buffer) => {
    all = Buffer.concat([all, chunk])
    for (const w of waiting.splice(0)) w()
  })
  const closed = once(socket, 'close').then(() => { for (const w of waiting.splice(0)) w() })
  const next = async (): Promise<string> => {
    for (;;) {
      const end = all.indexOf('\r\n', read)
      if (end !== -1) {
        const line = all.toString('utf8', read, end)
        read = end + 2
        return line
      }
      if (socket.destroyed) throw new Error('connection closed')
      await new Promise<void>(resolve => waiting.push(resolve))
    }
  }
  return {
    socket,
    received: () => all,
    next,
    send (line: string) {
      socket.write(line + '\r\n')
      return next()
    },
    closed
  }
}
