// WebSockets and server-sent events as a front server must carry them:
// the socket through the front server's upgrade, both ways, a large
// message, the Origin rule with the public origin; events one by one.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Client } from './browser-flow.ts'
import { openSocket, refusedWith } from './web-socket-client.ts'

export interface LiveFlowOptions {
  /** The front server's public origin: http(s)://host:port. */
  origin: string
  /** The path sessiond is under there ('' at the root). */
  path?: string
  cookie: string
  /** The CA to trust for wss://. */
  ca?: Buffer
  /** Where the client connects from. */
  localAddress?: string
}

export async function liveFlow (c: Client, { origin, path = '', cookie, ca, localAddress }: LiveFlowOptions): Promise<void> {
  const wsUrl = origin.replace(/^http/, 'ws') + path + '/lab/socket'
  const tls = { ...(ca && { ca }), ...(localAddress && { localAddress }) }
  const s = await openSocket(wsUrl, { cookie, origin }, [], tls)
  s.ws.send('through the front server')
  assert.equal(await s.next(), 'echo:through the front server')
  const big = Buffer.alloc(512 * 1024, 7)
  s.ws.send(big)
  assert.deepEqual(await s.next(), big)
  // Idle past nothing but the round trips: the socket is still open, then closes cleanly.
  await sleep(200)
  s.ws.send('still there')
  assert.equal(await s.next(), 'echo:still there')
  s.ws.close(1000)
  assert.equal((await s.closed).code, 1000)
  assert.equal(await refusedWith(wsUrl, { cookie, origin: 'https://elsewhere.example' }, tls), 403, 'another site\'s page cannot open it')

  // Events arrive as they are made, each in its own read: nothing in between holds them back.
  const res = await c.fetch('/lab/events?n=3&gap=400', { headers: { cookie, accept: 'text/event-stream' } })
  assert.equal(res.status, 200)
  const reader = res.body!.getReader()
  const arrivals: number[] = []
  let text = ''
  const start = Date.now()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    text += Buffer.from(value).toString()
    while (arrivals.length < (text.match(/\n\n/g)?.length ?? 0)) arrivals.push(Date.now() - start)
  }
  assert.equal(arrivals.length, 3, text)
  assert.ok(arrivals[1] - arrivals[0] >= 250 && arrivals[2] - arrivals[1] >= 250, `events arrived one by one, not together: at ${arrivals.join(', ')} ms`)
}
