import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { open, raw, trickle } from '../helpers/raw-http.ts'
import { runCorpus } from './harness.ts'
import type { Case, CaseContext } from './harness.ts'

/** A case that sends the raw request `bytes(c)` and answers the status it gets. */
const send = (bytes: (c: CaseContext) => string) => async (c: CaseContext) => (await raw(c.url, bytes(c))).status
/** The header lines most cases start with: Host, the case's session cookie, Connection: close. */
const H = (c: CaseContext) => `Host: ${c.host}\r\nCookie: ${c.cookie}\r\nConnection: close\r\n`

const cases: Case[] = [
  { name: 'Content-Length and Transfer-Encoding', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`) },
  { name: 'duplicate Content-Length', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`) },
  { name: 'Content-Length list', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Content-Length: 3, 3\r\n\r\nabc`) },
  { name: 'negative Content-Length', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Content-Length: -1\r\n\r\n`) },
  { name: 'hex Content-Length', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Content-Length: 0x3\r\n\r\nabc`) },
  { name: 'Transfer-Encoding: xchunked', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`) },
  { name: 'Transfer-Encoding: chunked, identity', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`) },
  { name: 'Transfer-Encoding: gzip, chunked', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`) },
  { name: 'two Transfer-Encoding headers', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`) },
  { name: 'space before the colon', status: 400, run: send(c => `POST /lab/count HTTP/1.1\r\n${H(c)}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`) },
  { name: 'obs-fold', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\n${H(c)}X-Folded: a\r\n b\r\n\r\n`) },
  { name: 'Transfer-Encoding in HTTP/1.0', status: 400, run: send(c => `POST /lab/count HTTP/1.0\r\n${H(c)}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`) },
  { name: 'two Host headers', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\n${H(c)}Host: evil.example\r\n\r\n`) },
  { name: 'a Host with a path in it', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\nHost: evil.example/admin\r\nCookie: ${c.cookie}\r\nConnection: close\r\n\r\n`) },
  { name: 'a Host with userinfo', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\nHost: user@${c.host}\r\nCookie: ${c.cookie}\r\nConnection: close\r\n\r\n`) },
  { name: 'no Host in HTTP/1.1', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\nCookie: ${c.cookie}\r\n\r\n`) },
  { name: 'bare LF line ends', status: 400, run: send(c => `GET /lab/count HTTP/1.1\n${H(c).replaceAll('\r\n', '\n')}\n`) },
  { name: 'NUL in a header value', status: 400, run: send(c => `GET /lab/count HTTP/1.1\r\n${H(c)}X-A: a\u0000b\r\n\r\n`) },
  { name: 'a space in the path', status: 400, run: send(c => `GET /lab/co unt HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'a broken chunk size', status: 400, run: send(c => `POST /lab/upload HTTP/1.1\r\n${H(c)}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`) },
  { name: 'headers over maxHeaderSize', status: 431, run: send(c => `GET /lab/count HTTP/1.1\r\n${H(c)}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`) },
  { name: 'a path over maxHeaderSize', status: 431, run: send(c => `GET /lab/${'a'.repeat(20_000)} HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'a method that does not exist', status: 400, run: send(c => `BREW /lab/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'dot-dot out of a realm', status: 404, run: send(c => `GET /lab/../login HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'encoded dot-dot', status: 404, run: send(c => `GET /lab/%2e%2e/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'encoded slash in the mount', status: 404, run: send(c => `GET /lab%2fcount HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'an empty segment', status: 404, run: send(c => `GET //lab/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'an encoded NUL', status: 404, run: send(c => `GET /lab/count%00 HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'an encoded mount letter', status: 404, run: send(c => `GET /%6cab/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'absolute-form request target', status: 404, run: send(c => `GET http://evil.example/lab/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'an unknown realm', status: 404, run: send(c => `GET /nope/count HTTP/1.1\r\n${H(c)}\r\n`) },
  { name: 'a declared body over the realm limit', status: 413, run: send(c => `POST /lab/upload HTTP/1.1\r\n${H(c)}Content-Length: 2000000\r\n\r\n`) },
  { name: 'a chunked body over the realm limit', status: 413, run: send(c => `POST /lab/upload HTTP/1.1\r\n${H(c)}Transfer-Encoding: chunked\r\n\r\n${'fa000\r\n' + 'a'.repeat(0xfa000) + '\r\n'}${'fa000\r\n' + 'a'.repeat(0xfa000) + '\r\n'}0\r\n\r\n`) },
  {
    name: 'headers trickled slower than headersTimeout (slowloris)',
    status: 408,
    run: async (c) => (await trickle(c.url, 'GET /lab/count HTTP/1.1\r\n', 'X-Drip: a\r\n', { timeoutMs: 6000 })).status
  },
  {
    name: 'a body trickled slower than requestTimeout',
    status: 408,
    run: async (c) => (await trickle(c.url, `POST /lab/upload HTTP/1.1\r\n${H(c)}Content-Length: 1000\r\n\r\n`, 'a', { timeoutMs: 8000, idleMs: 8000 })).status
  },
  {
    name: 'a client that never reads a large response',
    status: 200,
    run: async (c) => {
      const s = await open(c.url)
      s.write(`GET /lab/download?bytes=${200 * 1024 * 1024} HTTP/1.1\r\n${H(c)}\r\n`)
      const first = await new Promise<string>(resolve => s.once('data', d => resolve(String(d))))
      s.pause()
      await sleep(1500)
      s.destroy()
      return Number(/^HTTP\/1\.1 (\d{3})/.exec(first)?.[1] ?? 0)
    }
  }
]

test('bad HTTP input: exact statuses, the daemon keeps serving, a busy session sees nothing', async (t) => {
  await runCorpus(t, cases, {
    extra: { limits: { bodyLimit: '1MiB', maxHeaderSize: '16KiB', headersTimeout: '1s', requestTimeout: '2s' } }
  })
})
