// Benchmark 5: the session store. For each backend (memory, sqlite, redis),
// ops/s of `get` and `put` on one session through each access path:
//   raw     the backend without sessiond: a prepared SQL statement on its own
//           file for sqlite, a plain ioredis HGET/HSET for redis (none for memory)
//   store   the SessionStore API in process (a put takes and releases the lock)
//   http    the HTTP API (Fastify plugin) over loopback, undici keep-alive pool
//   line    the line protocol over loopback TCP, one connection per writer
//           (get: `get k` on a session opened r; put: `open id rw`, `put`, `close`)
// with the ratio to raw per round (median). Then the lock hand-over latency
// between two writers (commit → the waiting open resolves) and the contention
// check: 50 writers incrementing one key through rw, exact final count, in
// process and over the HTTP API (POST /lock, GET, PUT, POST /commit).
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { Pool } from 'undici'
import { LineProtocolListener, MemoryStore, RedisStore, SqliteStore, storeHttpApi, storeToken } from '@sessiond/session-store'
import type { SessionStore } from '@sessiond/session-store'
import { lineClient } from '../packages/session-store/test/line-client.ts'
import { hasRedisServer, startRedis } from '../packages/session-store/test/redis-server.ts'
import type { RedisServer } from '../packages/session-store/test/redis-server.ts'
import { print, runAlone } from './benchmark.ts'
import type { Benchmark } from './benchmark.ts'
import { onInterrupt, tempDir, trackChild } from './cleanup.ts'
import type { BenchOptions } from './options.ts'
import { fmt, median, percentile } from './stats.ts'
import type { SummaryRow } from './summary.ts'

const IN_FLIGHT = 16
const VALUE = 'x'.repeat(64)
type Op = () => Promise<unknown>
interface Path { name: string, get: Op[], put: Op[] }
type Contention = (store: SessionStore) => Promise<{ ok: boolean, ms: number }>

/** IN_FLIGHT ops, the i-th made by `f(i)`: one loop each in `drive`. */
const loop = (f: (i: number) => Op): Op[] => Array.from({ length: IN_FLIGHT }, (_, i) => f(i))

/** Runs `ops` (one loop per op, each one at a time) for `seconds`; answers ops/s. */
async function drive (ops: Op[], seconds: number): Promise<number> {
  let n = 0
  const end = performance.now() + seconds * 1000
  const started = performance.now()
  await Promise.all(ops.map(async op => {
    while (performance.now() < end) {
      await op()
      n++
    }
  }))
  return n / (performance.now() - started) * 1000
}

async function paths (kind: string, store: SessionStore, id: string, raw: Path | null, close: Array<() => Promise<unknown>>): Promise<{ all: Path[], contentionOverHttp: Contention }> {
  const direct: Path = {
    name: 'store',
    get: loop(i => () => store.get(id, `k${i}`)),
    put: loop(i => () => store.put(id, `k${i}`, VALUE))
  }

  const tokenKey = randomBytes(32)
  const app = Fastify()
  await app.register(storeHttpApi, { prefix: '/s', store, tokenKey })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const pool = new Pool(origin, { connections: IN_FLIGHT })
  close.push(() => pool.close(), () => app.close())
  const auth = { authorization: `Bearer ${storeToken(tokenKey, id)}` }
  const http: Path = {
    name: 'http',
    get: loop(i => async () => { const r = await pool.request({ method: 'GET', path: `/s/keys/k${i}`, headers: auth }); await r.body.text() }),
    put: loop(i => async () => { const r = await pool.request({ method: 'PUT', path: `/s/keys/k${i}`, headers: auth, body: VALUE }); await r.body.text() })
  }

  const listener = await LineProtocolListener.listen(store)
  close.push(() => listener.close())
  const readers = await Promise.all(Array.from({ length: IN_FLIGHT }, () => lineClient(listener.address.port)))
  const writers = await Promise.all(Array.from({ length: IN_FLIGHT }, () => lineClient(listener.address.port)))
  for (const c of [...readers, ...writers]) close.push(async () => { c.socket.destroy() })
  for (const r of readers) await r.send(`open ${id} r`)
  const line: Path = {
    name: 'line',
    get: readers.map((c, i) => () => c.send(`get k${i}`)),
    put: writers.map((c, i) => async () => {
      c.socket.write(`open ${id} rw\r\nput k${i} ${VALUE}\r\nclose\r\n`)
      await c.next()
      await c.next()
      const last = await c.next()
      if (last !== 'ok') throw new Error(`line put: ${last}`)
    })
  }
  print(`${kind}: paths ready`)
  return { all: raw ? [raw, direct, http, line] : [direct, http, line], contentionOverHttp: (s) => httpContention(s, origin, tokenKey) }
}

async function handOver (store: SessionStore, id: string, times: number): Promise<number[]> {
  const ms: number[] = []
  for (let i = 0; i < times; i++) {
    const a = await store.open(id, 'rw')
    const waiting = store.open(id, 'rw', { waitMs: 10_000 })
    // Let the waiter reach its wait before the commit.
    await new Promise(resolve => setImmediate(resolve))
    const t0 = performance.now()
    await a.commit()
    const b = await waiting
    ms.push(performance.now() - t0)
    await b.close()
  }
  return ms
}

async function contention (store: SessionStore): Promise<{ ok: boolean, ms: number }> {
  const { id } = await store.create('bench', 3_600_000)
  await store.put(id, 'n', '0')
  const t0 = performance.now()
  await Promise.all(Array.from({ length: 50 }, async () => {
    const w = await store.open(id, 'rw', { waitMs: 60_000 })
    await w.put('n', String(Number(await w.get('n')) + 1))
    await w.commit()
  }))
  return { ok: await store.get(id, 'n') === '50', ms: performance.now() - t0 }
}

/** The contention check over the HTTP API: each writer takes the lock by POST /lock and commits by POST /commit. */
async function httpContention (store: SessionStore, origin: string, tokenKey: Buffer): Promise<{ ok: boolean, ms: number }> {
  // A connection per writer: a POST /lock waiting for its turn holds its connection meanwhile.
  const pool = new Pool(origin, { connections: 50 })
  const { id } = await store.create('bench', 3_600_000)
  await store.put(id, 'n', '0')
  const auth = { authorization: `Bearer ${storeToken(tokenKey, id)}` }
  const call = async (method: 'GET' | 'PUT' | 'POST', path: string, headers: Record<string, string>, body?: string) => {
    const r = await pool.request({ method, path: `/s${path}`, headers, body })
    const text = await r.body.text()
    if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`)
    return { text, headers: r.headers }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: 50 }, async () => {
    const { headers } = await call('POST', '/lock?wait=60000', auth)
    const under = { ...auth, 'x-sessiond-lock-id': String(headers['x-sessiond-lock-id']) }
    const { text } = await call('GET', '/keys/n', under)
    await call('PUT', '/keys/n', under, String(Number(text) + 1))
    await call('POST', '/commit', under)
  }))
  const ms = performance.now() - t0
  await pool.close()
  return { ok: await store.get(id, 'n') === '50', ms }
}

async function backend (opts: BenchOptions, kind: string, store: SessionStore, raw: Path | null): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = []
  const close: Array<() => Promise<unknown>> = []
  const unregister = onInterrupt(async () => { for (const c of close.reverse()) await c().catch(() => {}) })
  try {
    const { id } = await store.create('bench', 3_600_000)
    for (let i = 0; i < IN_FLIGHT; i++) await store.put(id, `k${i}`, VALUE)
    const { all, contentionOverHttp } = await paths(kind, store, id, raw, close)
    const seconds = Math.min(opts.seconds, 2)
    for (const p of all) { await drive(p.get, 0.5); await drive(p.put, 0.5) }
    const figures = new Map<string, number[]>()
    for (let round = 1; round <= opts.rounds; round++) {
      for (const p of all) {
        for (const op of ['get', 'put'] as const) {
          const k = `${p.name} ${op}`
          figures.set(k, [...figures.get(k) ?? [], await drive(p[op], seconds)])
        }
      }
    }
    print(`### ${kind}: ops/s, ${IN_FLIGHT} in flight, median of ${opts.rounds} rounds × ${seconds} s`)
    for (const op of ['get', 'put'] as const) {
      const base = raw ? figures.get(`raw ${op}`) as number[] : null
      for (const p of all) {
        const xs = figures.get(`${p.name} ${op}`) as number[]
        const ratio = base ? median(xs.map((x, i) => x / base[i])) : Number.NaN
        const note = base && p.name !== 'raw' ? `× ${fmt(ratio)} of raw ${kind}` : ''
        print(`${`${p.name} ${op}`.padEnd(10)} ${fmt(median(xs), 0).padStart(9)} ops/s  ${note}`)
        rows.push({ benchmark: 'store-ops', metric: `${kind} ${p.name} ${op} ops/s`, value: fmt(median(xs), 0), note })
      }
    }
    const h = await handOver(store, id, opts.quick ? 50 : 200)
    print(`lock hand-over: p50 ${fmt(percentile(h, 50), 3)} ms, p99 ${fmt(percentile(h, 99), 3)} ms`)
    rows.push({ benchmark: 'store-ops', metric: `${kind} lock hand-over p50 / p99`, value: `${fmt(percentile(h, 50), 3)} / ${fmt(percentile(h, 99), 3)} ms` })
    const c = await contention(store)
    print(`50 writers through rw: ${c.ok ? 'exact count 50' : 'LOST UPDATES'} in ${fmt(c.ms, 0)} ms`)
    rows.push({ benchmark: 'store-ops', metric: `${kind} 50 rw writers`, value: c.ok ? 'no update lost' : 'LOST UPDATES', note: `${fmt(c.ms, 0)} ms` })
    const hc = await contentionOverHttp(store)
    print(`50 writers through POST /lock over HTTP: ${hc.ok ? 'exact count 50' : 'LOST UPDATES'} in ${fmt(hc.ms, 0)} ms`)
    rows.push({ benchmark: 'store-ops', metric: `${kind} 50 rw writers over HTTP`, value: hc.ok ? 'no update lost' : 'LOST UPDATES', note: `${fmt(hc.ms, 0)} ms` })
  } finally {
    for (const c of close.reverse()) await c().catch(() => {})
    unregister()
  }
  return rows
}

async function run (opts: BenchOptions): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = []
  const dir = tempDir('sessiond-bench-store-')
  try {
    const memory = new MemoryStore()
    rows.push(...await backend(opts, 'memory', memory, null))
    await memory.close()

    const sqlite = new SqliteStore(join(dir.path, 'sessions.sqlite'))
    const db = new DatabaseSync(join(dir.path, 'raw.sqlite'))
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE kv (session_id TEXT, key TEXT, value TEXT, PRIMARY KEY (session_id, key)) STRICT, WITHOUT ROWID')
    const sel = db.prepare('SELECT value FROM kv WHERE session_id = ? AND key = ?')
    const ins = db.prepare('INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value')
    for (let i = 0; i < IN_FLIGHT; i++) ins.run('s', `k${i}`, VALUE)
    rows.push(...await backend(opts, 'sqlite', sqlite, {
      name: 'raw',
      get: loop(i => async () => sel.get('s', `k${i}`)),
      put: loop(i => async () => ins.run('s', `k${i}`, VALUE))
    }))
    db.close()
    await sqlite.close()

    if (!hasRedisServer()) {
      print('redis: skipped, redis-server is not installed (apt-get install redis-server)')
      return rows
    }
    let server: RedisServer | null = null
    try {
      server = await startRedis()
      trackChild(server.child)
      const redis = await RedisStore.connect({ url: server.url })
      const client = new Redis(server.url)
      await once(client, 'ready')
      rows.push(...await backend(opts, 'redis', redis, {
        name: 'raw',
        get: loop(i => () => client.hget('raw', `k${i}`)),
        put: loop(i => () => client.hset('raw', `k${i}`, VALUE))
      }))
      client.disconnect()
      await redis.close()
    } finally {
      await server?.stop()
    }
  } finally {
    dir.remove()
  }
  return rows
}

export const storeOps: Benchmark = {
  name: 'store-ops',
  title: 'Session store: get/put ops/s per backend and access path against the raw backend, lock hand-over, 50 rw writers',
  run
}

if (import.meta.main) await runAlone(storeOps)
