// A browser's whole visit, as a test drives it through a front server:
// redirected to the form, log in with the form's CSRF token, use a realm,
// stream a large body up and down, log out, and find the old cookie dead.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { Agent, fetch } from 'undici'
import type { RequestInit, Response } from 'undici'

export interface Client {
  /** Requests `path` on the client's origin; redirects are answers, never followed. */
  fetch (path: string, init?: RequestInit): Promise<Response>
}

/** A client of `origin`, trusting `ca` for HTTPS and connecting from `localAddress` when given. */
export function client (origin: string, { ca, localAddress }: { ca?: Buffer, localAddress?: string } = {}): Client {
  const dispatcher = new Agent({ ...(localAddress && { localAddress }), ...(ca && { connect: { ca } }) })
  return { fetch: (path, init = {}) => fetch(origin + path, { redirect: 'manual', dispatcher, ...init }) }
}

/** The session cookie a response sets (any of its three names), as `name=value` with its attributes. */
export function sessionCookie (res: Response): { pair: string, name: string, attributes: string } | undefined {
  const set = res.headers.getSetCookie().find(c => /^(__Host-|__Secure-)?sessiond=/.test(c))
  if (!set) return undefined
  const [pair, ...rest] = set.split(';')
  return { pair, name: pair.slice(0, pair.indexOf('=')), attributes: rest.join(';').trim() }
}

function csrfOf (html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html)
  assert.ok(m, 'the page carries a CSRF token')
  return m[1]
}

export interface FlowOptions {
  /** The path the front server mounts sessiond under, as the browser sees it ('' at the root). */
  prefix?: string
  /** The session cookie's name: sessiond over HTTP, __Host-sessiond over HTTPS, __Secure-sessiond over HTTPS under a prefix. */
  cookieName: string
  /** The client's address, its scheme and the host it asked for, as the worker must be told them. */
  forwardedFor: string
  forwardedProto: string
  forwardedHost: string
  /** Bytes to stream up and down. */
  bytes?: number
}

/** Logs in with JSON, as an API client does; answers the response, whatever its status. */
export function jsonLogin (c: Client, user: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return c.fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: user, password }) })
}

/** Logs in with the form, as a browser does: GET the form (its token is bound to a first cookie), POST it. */
export async function formLogin (c: Client, prefix: string, user: string, password: string, next: string): Promise<Response> {
  const page = await c.fetch(`${prefix}/login?next=${encodeURIComponent(next)}`)
  assert.equal(page.status, 200)
  const html = await page.text()
  assert.match(html, new RegExp(`<form method="post" action="${prefix}/login">`), 'the form posts back through the front server')
  const first = sessionCookie(page)
  assert.ok(first, 'the form comes with the cookie its token is bound to')
  return c.fetch(`${prefix}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: first.pair },
    body: new URLSearchParams({ username: user, password, next, csrf: csrfOf(html) }).toString()
  })
}

export async function browserFlow (c: Client, { prefix = '', cookieName, forwardedFor, forwardedProto, forwardedHost, bytes = 8 * 1024 * 1024 }: FlowOptions): Promise<void> {
  const target = `${prefix}/lab/count?from=flow`
  const away = await c.fetch(target, { headers: { accept: 'text/html' } })
  assert.equal(away.status, 302)
  assert.equal(away.headers.get('location'), `${prefix}/login?next=${encodeURIComponent(target)}`)

  const login = await formLogin(c, prefix, 'alice', 'alice-password', target)
  assert.equal(login.status, 303, await login.text())
  assert.equal(login.headers.get('location'), target, 'back where the browser was going')
  const cookie = sessionCookie(login)
  assert.ok(cookie)
  assert.equal(cookie.name, cookieName)
  assert.match(cookie.attributes, new RegExp(`Path=${prefix || '/'}(;|$)`))
  const jar = { cookie: cookie.pair }

  const counts = []
  for (let i = 0; i < 3; i++) {
    const res = await c.fetch(target, { headers: jar })
    assert.equal(res.status, 200)
    counts.push(await res.json() as { user: string, count: number })
  }
  assert.deepEqual(counts.map(b => [b.user, b.count]), [['alice', 1], ['alice', 2], ['alice', 3]], 'the worker keeps the session\'s state between requests')

  const echoed = await (await c.fetch(`${prefix}/lab/echo-headers`, { headers: { ...jar, 'x-forwarded-prefix': '/spoofed', 'x-forwarded-for': '203.0.113.9' } })).json() as { headers: Record<string, string> }
  assert.equal(echoed.headers['x-forwarded-for'], forwardedFor, 'the client as the front server saw it, never the client\'s own header')
  assert.equal(echoed.headers['x-forwarded-proto'], forwardedProto)
  assert.equal(echoed.headers['x-forwarded-host'], forwardedHost)
  assert.equal(echoed.headers['x-forwarded-prefix'], `${prefix}/lab`, 'the realm\'s public path, never the client\'s own header')

  // Sent in pieces as it is made, without a length: the front server must stream it, not wait for it whole.
  const body = randomBytes(bytes)
  const want = createHash('sha256').update(body).digest('hex')
  const piece = 256 * 1024
  let at = 0
  const upload = await c.fetch(`${prefix}/lab/upload`, {
    method: 'POST',
    headers: { ...jar, 'content-type': 'application/octet-stream' },
    duplex: 'half',
    body: new ReadableStream({
      pull (controller) {
        if (at >= body.length) return controller.close()
        controller.enqueue(body.subarray(at, at + piece))
        at += piece
      }
    })
  })
  assert.equal(upload.status, 200)
  assert.deepEqual(await upload.json(), { bytes, sha256: want })
  const download = await c.fetch(`${prefix}/lab/download?bytes=${bytes}`, { headers: jar })
  assert.equal(download.status, 200)
  let received = 0
  for await (const chunk of download.body!) received += chunk.byteLength
  assert.equal(received, bytes)

  // Log out with the form on the index page, as a browser would.
  const index = await c.fetch(`${prefix}/`, { headers: jar })
  const html = await index.text()
  assert.match(html, new RegExp(`<form method="post" action="${prefix}/logout">`))
  assert.match(html, new RegExp(`href="${prefix}/lab/"`))
  const out = await c.fetch(`${prefix}/logout`, {
    method: 'POST',
    headers: { ...jar, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrfOf(html) }).toString()
  })
  assert.equal(out.status, 303)
  assert.equal(out.headers.get('location'), `${prefix}/login`)
  const replay = await c.fetch(target, { headers: jar })
  assert.equal(replay.status, 401, 'the logged-out cookie reaches no worker')
}
