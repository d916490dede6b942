// The bad-input corpus: each case sends something hostile and states the
// exact status it must get. Meanwhile a well-behaved session keeps using its
// worker; at the end it must have seen no error, and the daemon must still serve.
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { getJson, startDaemon } from '../helpers/daemon.ts'
import type { DaemonOptions, RunningDaemon } from '../helpers/daemon.ts'

export interface Case {
  name: string
  /** The exact status the case must get (0: the connection is closed without an answer). */
  status: number
  run: (ctx: CaseContext) => Promise<number>
}

export interface CaseContext {
  url: string
  host: string
  /** A logged-in session of the case's own (alice). */
  cookie: string
  d: RunningDaemon
}

/** A session that uses its worker all along, and remembers anything that went wrong. */
export class Bystander {
  readonly errors: string[] = []
  requests = 0
  #stopped = false
  #loop: Promise<void>

  constructor (url: string, cookie: string) {
    this.#loop = (async () => {
      let last = 0
      while (!this.#stopped) {
        try {
          const res = await getJson(url + '/lab/count', cookie)
          if (res.status !== 200) this.errors.push(`status ${res.status}: ${JSON.stringify(res.body)}`)
          else if (res.body.count !== last + 1) this.errors.push(`count ${res.body.count} after ${last}`)
          else last = res.body.count
        } catch (err) {
          this.errors.push(String(err))
        }
        this.requests++
        await sleep(25)
      }
    })()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await this.#loop
  }
}

export async function runCorpus (t: TestContext, cases: Case[], opts: DaemonOptions = {}): Promise<void> {
  const d = await startDaemon(t, opts)
  const bystander = new Bystander(d.url, await d.login('bob', 'bob-password'))
  const cookie = await d.login('alice', 'alice-password')
  const ctx: CaseContext = { url: d.url, host: new URL(d.url).host, cookie, d }
  try {
    for (const c of cases) {
      await t.test(c.name, async () => {
        assert.equal(await c.run(ctx), c.status)
        assert.equal((await getJson(d.url + '/healthz')).status, 200, 'the daemon still serves')
      })
    }
  } finally {
    await bystander.stop()
  }
  assert.deepEqual(bystander.errors, [], 'the concurrently active session saw no error')
  assert.ok(bystander.requests > cases.length, `the bystander kept going (${bystander.requests} requests)`)
}
