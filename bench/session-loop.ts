// Sessions that each send one request after another through a cluster's
// gateways, recording when each started and ended and what it got: the
// load of the failover and migration figures. Paced, so that the hosts
// keep a share of the cores for their lease renewals.
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'

export interface Sample {
  at: number
  done: number
  ok: boolean
  host?: string
}

export interface LoopSession {
  cookie: string
  id: string
  home: string
  samples: Sample[]
}

interface Answer { host: string, session: string }

/** `n` anonymous sessions of `path` (the cluster counter), started through the gateways in turn, a few at a time. */
export async function startSessions (gateways: string[], path: string, n: number): Promise<LoopSession[]> {
  const out: LoopSession[] = []
  for (let i = 0; i < n; i += 8) {
    out.push(...await Promise.all(Array.from({ length: Math.min(8, n - i) }, async (_, j) => {
      const res = await request(`${gateways[(i + j) % gateways.length]}${path}`)
      const body = await res.body.json() as Answer
      const raw = res.headers['set-cookie']
      const cookie = (Array.isArray(raw) ? raw : [raw ?? '']).find(c => c.startsWith('sessiond='))!.split(';')[0]
      return { cookie, id: body.session, home: body.host, samples: [] }
    })))
  }
  return out
}

/** Runs every session's loop until the answered function is called; that resolves once every loop has stopped. */
export function runLoops (gateways: string[], path: string, sessions: LoopSession[], paceMs: number): () => Promise<void> {
  let running = true
  const loops = Promise.all(sessions.map(async (s, i) => {
    for (let n = 0; running; n++) {
      const at = Date.now()
      try {
        const res = await request(`${gateways[(i + n) % gateways.length]}${path}`, { headers: { cookie: s.cookie } })
        if (res.statusCode === 200) {
          const body = await res.body.json() as Answer
          s.samples.push({ at, done: Date.now(), ok: true, host: body.host })
        } else {
          await res.body.dump()
          s.samples.push({ at, done: Date.now(), ok: false })
        }
      } catch {
        s.samples.push({ at, done: Date.now(), ok: false })
      }
      await sleep(paceMs)
    }
  }))
  return async () => {
    running = false
    await loops
  }
}
