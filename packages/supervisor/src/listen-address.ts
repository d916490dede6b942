/** HOST:PORT, with an IPv6 host in brackets. */
export const LISTEN_PATTERN = '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$'

export interface ListenAddress { host: string, port: number }

/** `127.0.0.1:8080`, `[::1]:80`, or (where a bare port is allowed) `7777` on loopback. */
export function parseListenAddress (value: string | number): ListenAddress {
  const text = String(value)
  const colon = text.lastIndexOf(':')
  const port = Number(text.slice(colon + 1))
  if (port > 65535) throw new RangeError(`expected a port from 0 to 65535, got ${port}`)
  // A bare port listens on loopback: what it serves has no authentication of its own.
  return { host: colon === -1 ? '127.0.0.1' : text.slice(0, colon).replace(/^\[|\]$/g, ''), port }
}
