// Logged-in sessions for the benchmarks: one POST /login each, keeping the
// `sessiond=…` cookie to send back, and the GETs that check the hello answer.
import { request } from 'undici'
import type { Client } from 'undici'
import { BENCH_PASSWORD, BENCH_USER } from './sessiond-daemon.ts'

/** Logs in once and returns the `name=value` cookie to send back. */
export async function login (url: string): Promise<string> {
  const res = await request(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: BENCH_USER, password: BENCH_PASSWORD })
  })
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${text}`)
  const raw = res.headers['set-cookie']
  const cookie = (Array.isArray(raw) ? raw : [raw ?? '']).find(c => c.startsWith('sessiond='))
  if (!cookie) throw new Error('login answered without a sessiond cookie')
  return cookie.split(';')[0]
}

/** n fresh sessions, logged in one after the other. */
export async function loginMany (url: string, n: number): Promise<string[]> {
  const cookies: string[] = []
  for (let i = 0; i < n; i++) cookies.push(await login(url))
  return cookies
}

/** One GET with the cookie; throws unless it is a 200 `hello`. */
export async function getHello (url: string, cookie: string, mount = '/hello'): Promise<void> {
  const res = await request(`${url}${mount}/`, { headers: { cookie } })
  const text = await res.body.text()
  if (res.statusCode !== 200 || text !== 'hello') throw new Error(`GET ${mount}/ answered ${res.statusCode}: ${text.slice(0, 200)}`)
}

/** One GET of `path` with the cookie on `client`'s connection; answers its latency in ms, throws unless it is a 200 `hello`. */
export async function timedGet (client: Client, path: string, cookie: string): Promise<number> {
  const t0 = performance.now()
  const res = await client.request({ method: 'GET', path, headers: { cookie } })
  const text = await res.body.text()
  const ms = performance.now() - t0
  if (res.statusCode !== 200 || text !== 'hello') throw new Error(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`)
  return ms
}
