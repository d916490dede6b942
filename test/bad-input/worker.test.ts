import { test } from 'node:test'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson } from '../helpers/daemon.ts'
import { open } from '../helpers/raw-http.ts'
import { runCorpus } from './harness.ts'
import type { Case, CaseContext } from './harness.ts'

/** The status of a GET of `path` in the case's own session. */
const statusOf = async (c: CaseContext, path: string) => (await getJson(c.url + path, c.cookie)).status

/** A case whose client runs `start` on a connection of its own and leaves mid-request; answers the status of the session's next request. */
const leaveMidRequest = (start: (s: Socket, c: CaseContext) => Promise<void>) => async (c: CaseContext) => {
  const s = await open(c.url)
  await start(s, c)
  s.destroy()
  await sleep(100)
  return statusOf(c, '/lab/count')
}

const cases: Case[] = [
  { name: 'a handler that throws', status: 500, run: c => statusOf(c, '/lab/boom') },
  { name: 'a path the handler does not know', status: 404, run: c => statusOf(c, '/lab/nothing') },
  {
    name: 'a worker that crashes after answering, then serves again',
    status: 200,
    run: async (c) => {
      await getJson(c.url + '/lab/crash?after=50', c.cookie)
      await sleep(300)
      return statusOf(c, '/lab/count')
    }
  },
  {
    name: 'a client that leaves in the middle of a streamed upload',
    status: 200,
    run: leaveMidRequest(async (s, c) => {
      s.write(`POST /lab/upload HTTP/1.1\r\nHost: ${c.host}\r\nCookie: ${c.cookie}\r\nTransfer-Encoding: chunked\r\n\r\n`)
      for (let i = 0; i < 5; i++) {
        s.write('4000\r\n' + 'a'.repeat(0x4000) + '\r\n')
        await sleep(20)
      }
    })
  },
  {
    name: 'a client that leaves before its declared body arrives',
    status: 200,
    run: leaveMidRequest(async (s, c) => {
      s.write(`POST /lab/upload HTTP/1.1\r\nHost: ${c.host}\r\nCookie: ${c.cookie}\r\nContent-Length: 100000\r\n\r\nabc`)
      await sleep(50)
    })
  }
]

test('bad worker behaviour: exact statuses, the daemon keeps serving, a busy session sees nothing', async (t) => {
  await runCorpus(t, cases)
})
