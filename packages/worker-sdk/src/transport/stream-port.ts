// A socket channel over a byte stream instead of a MessagePort: how a
// process worker's sockets travel. The supervisor opens an HTTP upgrade to
// the child's unix socket (`Upgrade: sessiond-socket`); once the child
// answers 101, that connection carries exactly one channel, id 1, in both
// directions, with the same messages, window, acks, close handshake and
// abort as a thread's port. Each message is a 4-byte big-endian length and
// its v8 serialization: structured clone, as a MessagePort would carry it,
// so a socket's frames and its parked attachment mean the same for both kinds.
import type { Duplex } from 'node:stream'
import { deserialize, serialize } from 'node:v8'
import { peerAborted } from '../errors.ts'
import type { FromWorker, HeaderList, ToWorker } from './messages.ts'
import type { MessageSink } from './message-sink.ts'
import { ProtocolError, parseFromWorker, parseToWorker } from './parse.ts'
import { SocketChannel, drop, receive } from './socket-channel.ts'

/** The protocol a supervisor upgrades a process worker's connection to. */
export const SOCKET_UPGRADE = 'sessiond-socket'
/** Set by the supervisor on every upgrade (`new`, or `resumed <base64 of the attachment's v8 serialization>`), never by a client. */
export const SOCKET_HEADER = 'x-sessiond-socket'

/** The one channel id of an upgraded connection. */
const CHANNEL_ID = 1
/** A message longer than this is a confused or hostile peer: frames are bounded well below it at the gateway. */
export const MAX_STREAM_MESSAGE = 64 * 1024 * 1024

/** Posts messages onto a byte stream, length-prefixed, and reads the peer's the same way. */
export class StreamPort implements MessageSink {
  readonly #stream: Duplex
  readonly #onMessage: (m: unknown) => void
  readonly #onError: (err: Error) => void
  #buffered: Buffer | null = null

  constructor (stream: Duplex, head: Uint8Array, onMessage: (m: unknown) => void, onError: (err: Error) => void) {
    this.#stream = stream
    this.#onMessage = onMessage
    this.#onError = onError
    stream.on('data', (chunk: Buffer) => this.#read(chunk))
    if (head.byteLength > 0) queueMicrotask(() => this.#read(Buffer.from(head)))
  }

  postMessage (message: unknown): void {
    if (this.#stream.destroyed || this.#stream.writableEnded) return
    const body = serialize(message)
    const frame = Buffer.allocUnsafe(4 + body.byteLength)
    frame.writeUInt32BE(body.byteLength, 0)
    body.copy(frame, 4)
    // The channel's window bounds what is in flight; the stream's own buffer never holds more than that.
    this.#stream.write(frame)
  }

  #read (chunk: Buffer): void {
    let buf = this.#buffered ? Buffer.concat([this.#buffered, chunk]) : chunk
    while (buf.byteLength >= 4) {
      const length = buf.readUInt32BE(0)
      if (length > MAX_STREAM_MESSAGE) return this.#onError(new ProtocolError(`stream message of ${length} bytes`))
      if (buf.byteLength < 4 + length) break
      let m: unknown
      try {
        m = deserialize(buf.subarray(4, 4 + length))
      } catch (err) {
        return this.#onError(new ProtocolError(`undecodable stream message: ${(err as Error).message}`))
      }
      buf = buf.subarray(4 + length)
      this.#onMessage(m)
    }
    this.#buffered = buf.byteLength > 0 ? buf : null
  }
}

export interface StreamChannelOptions {
  /** Which end this is: it decides which side's messages are parsed. */
  end: 'supervisor' | 'worker'
  /** The 101 answer's headers, as the channel reports them. */
  headers: HeaderList
  /** Bytes already read past the 101 (or the request), which belong to the channel. */
  head?: Uint8Array
}

/**
 * The channel an upgraded connection carries. It ends when the connection
 * does: a connection that closes before the close handshake finished ends
 * the channel as an abort (1006), and a channel that closed ends its
 * connection.
 */
export function socketOverStream (stream: Duplex, { end, headers, head = new Uint8Array(0) }: StreamChannelOptions): SocketChannel {
  const table = new Map<number, SocketChannel>()
  const parse = end === 'supervisor' ? parseFromWorker : parseToWorker
  const broken = (err: Error) => {
    channel[drop](err)
    stream.destroy()
  }
  const port = new StreamPort(stream, head, (raw) => {
    let m: FromWorker | ToWorker
    try {
      m = parse(raw)
    } catch (err) {
      return broken(err as Error)
    }
    switch (m.t) {
      case 'frame':
      case 'close':
      case 'ack':
      case 'abort': return table.get(m.id)?.[receive](m)
      default: return broken(new ProtocolError(`unexpected message ${m.t} on a socket connection`))
    }
  }, broken)
  const channel = new SocketChannel(port, CHANNEL_ID, table, headers)
  stream.on('error', () => { /* 'close' follows and ends the channel */ })
  stream.once('close', () => channel[drop](peerAborted()))
  // Over on both sides: the connection has nothing more to carry.
  channel.once('close', () => stream.end())
  return channel
}
