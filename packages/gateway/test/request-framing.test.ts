import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { framingProblem } from '../src/request-framing.ts'
import { raw } from '../../../test/helpers/raw-http.ts'

/** A bare Node server answering 400 when framingProblem objects: llhttp's rules plus ours. */
async function server (t: TestContext, check = true): Promise<string> {
  const srv = createServer((req, res) => {
    const problem = check ? framingProblem(req) : null
    req.resume()
    req.on('end', () => res.writeHead(problem ? 400 : 200, { connection: 'close' }).end(problem ?? 'ok'))
  })
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  t.after(() => srv.close())
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
}

const LLHTTP_REFUSES = {
  'Content-Length with Transfer-Encoding': 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'duplicate Content-Length': 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
  'Transfer-Encoding not ending in chunked': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
  'space before the colon': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n'
}
const WE_REFUSE = {
  'a coding under chunked': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  'two Transfer-Encoding headers': 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'Transfer-Encoding in HTTP/1.0': 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'two Host headers': 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'
}

test('Node\'s parser already refuses the classic smuggling shapes (pinned here)', async (t) => {
  const url = await server(t, false)
  for (const [name, bytes] of Object.entries(LLHTTP_REFUSES)) assert.equal((await raw(url, bytes)).status, 400, name)
})

test('framingProblem refuses what Node lets through', async (t) => {
  const plain = await server(t, false)
  const checked = await server(t)
  for (const [name, bytes] of Object.entries(WE_REFUSE)) {
    assert.equal((await raw(plain, bytes)).status, 200, `Node itself lets ${name} through`)
    assert.equal((await raw(checked, bytes)).status, 400, name)
  }
  assert.equal((await raw(checked, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')).status, 200)
})
