import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson } from '../helpers/daemon.ts'
import { open } from '../helpers/raw-http.ts'
import { runCorpus } from './harness.ts'
import type { Case } from './harness.ts'

const cases: Case[] = [
  { name: 'a handler that throws', status: 500, run: async (c) => (await getJson(c.url + '/lab/boom', c.cookie)).status },
  { name: 'a path the handler does not know', status: 404, run: async (c) => (await getJson(c.url + '/lab/nothing', c.cookie)).status },
  {
    name: 'a worker that crashes after answering, then serves again',
    status: 200,
    run: async (c) => {
      await getJson(c.url + '/lab/crash?after=50', c.cookie)
      await sleep(300)
      return (await getJson(c.url + '/lab/count', c.cookie)).status
    }
  },
  {
    name: 'a client that leaves in the middle of a streamed upload',
    status: 200,
    run: async (c) => {
      const s = await open(c.url)
      s.write(`POST /lab/upload HTTP/1.1\r\nHost: ${c.host}\r\nCookie: ${c.cookie}\r\nTransfer-Encoding: chunked\r\n\r\n`)
      for (let i = 0; i < 5; i++) {
        s.write('4000\r\n' + 'a'.repeat(0x4000) + '\r\n')
        await sleep(20)
      }
      s.destroy()
      await sleep(100)
      return (await getJson(c.url + '/lab/count', c.cookie)).status
    }
  },
  {
    name: 'a client that leaves before its declared body arrives',
    status: 200,
    run: async (c) => {
      const s = await open(c.url)
      s.write(`POST /lab/upload HTTP/1.1\r\nHost: ${c.host}\r\nCookie: ${c.cookie}\r\nContent-Length: 100000\r\n\r\nabc`)
      await sleep(50)
      s.destroy()
      await sleep(100)
      return (await getJson(c.url + '/lab/count', c.cookie)).status
    }
  }
]

test('bad worker behaviour: exact statuses, the daemon keeps serving, a busy session sees nothing', async (t) => {
  await runCorpus(t, cases)
})
