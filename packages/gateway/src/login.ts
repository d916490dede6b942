import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { SessionStore } from '@sessiond/session-store'
import type { Config } from './config.ts'
import { CSRF_FIELD, csrfGuard, csrfToken } from './csrf-guard.ts'
import { LoginFailedError, NotAuthenticatedError, TooManyLoginsError } from './errors.ts'
import { escapeHtml, page } from './html.ts'
import { MAX_PASSWORD_BYTES } from './password-hash.ts'
import { endSession, startLoginSession } from './login-session.ts'
import { LoginGuard } from './login-guard.ts'
import type { AttemptKeys } from './login-guard.ts'
import type { DeviceCookies } from './device-cookie.ts'
import { safeNext } from './safe-next.ts'
import { SerialByKey } from './serial-by-key.ts'
import { LoginCounts } from './metrics/login-counts.ts'
import { clearSession, readSessionId } from './session-cookie.ts'
import type { UserDirectory } from './user-directory.ts'

export interface LoginOptions {
  config: Config
  store: SessionStore
  users: UserDirectory
  /** Known browsers of each account: their logins are throttled on their own (login-guard.ts). */
  devices: DeviceCookies
  /** Attempts by result, for sessiond_login_attempts_total. */
  counts?: LoginCounts
}

/** The page's words for a failed login: the same as the JSON answer's (LoginFailedError). */
const LOGIN_FAILED = new LoginFailedError().message

function wantsHtml (request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') ?? false
}

function loginPage (prefix: string, next: string, token: string, error?: string): string {
  return page('Log in', `<h1>Log in</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(prefix)}/login">
<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(token)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="${MAX_PASSWORD_BYTES}">
<button type="submit">Log in</button>
</form>`)
}

/**
 * A request to a realm that needs a login: browsers go to the form, API
 * clients get 401. Without a form (auth mode `header`) everyone gets 401:
 * only the front server can log a user in.
 */
export function denyUnauthenticated (request: FastifyRequest, reply: FastifyReply, form: boolean): FastifyReply {
  if (form && wantsHtml(request) && (request.method === 'GET' || request.method === 'HEAD')) {
    const prefix = request.publicPrefix
    return reply.redirect(`${prefix}/login?next=` + encodeURIComponent(prefix + request.url), 302)
  }
  throw new NotAuthenticatedError()
}

interface LoginBody { username?: unknown, password?: unknown, next?: unknown }

interface Attempt { form: boolean, next: string, username: string, password: string, keys: AttemptKeys }

export async function loginRoutes (app: FastifyInstance, { config, store, users, devices, counts = new LoginCounts() }: LoginOptions): Promise<void> {
  const { attemptsPerUser, attemptsPerAccount, attemptsPerIp, delay, maxDelay } = config.login
  const guard = new LoginGuard({ attemptsPerUser, attemptsPerAccount, attemptsPerIp, delayMs: delay, maxDelayMs: maxDelay })
  const inTurn = new SerialByKey()

  app.post('/logout', { preHandler: csrfGuard }, async (request, reply) => {
    const sid = readSessionId(request)
    if (sid) await endSession(store, sid)
    clearSession(request)
    if (wantsHtml(request)) return reply.redirect(`${request.publicPrefix}/login`, 303)
    return reply.send({ ok: true })
  })

  // With auth mode `header` the front server logs users in (front-auth.ts): no password is ever taken here.
  if (config.auth.mode !== 'form') return

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as { next?: unknown }).next, request.publicPrefix)
    return reply.type('text/html; charset=utf-8').send(loginPage(request.publicPrefix, next, csrfToken(request)))
  })

  app.post('/login', {
    bodyLimit: 8 * 1024,
    preHandler: csrfGuard
  }, async (request, reply) => {
    const body = (request.body ?? {}) as LoginBody
    const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ?? false
    const next = safeNext(body.next, request.publicPrefix)
    const username = typeof body.username === 'string' ? body.username : ''
    const password = typeof body.password === 'string' ? body.password : ''
    const keys = LoginGuard.keys(username, request.ip, devices.read(request, username))
    // One account's attempts are checked in turn: each sees the failures of those before it.
    return inTurn.run(keys.account, () => attempt(request, reply, { form, next, username, password, keys }))
  })

  async function attempt (request: FastifyRequest, reply: FastifyReply, { form, next, username, password, keys }: Attempt): Promise<FastifyReply> {
    const wait = guard.retryAfter(keys)
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000)
      counts.throttled++
      request.log.info({ event: 'login-throttled' }, 'login throttled')
      reply.header('retry-after', String(seconds))
      if (form) return reply.code(429).type('text/html; charset=utf-8').send(loginPage(request.publicPrefix, next, csrfToken(request), `Too many failed logins: try again in ${seconds} s.`))
      throw new TooManyLoginsError(seconds)
    }
    const user = username && password && Buffer.byteLength(password) <= MAX_PASSWORD_BYTES
      ? await users.verify(username, password)
      : null
    if (!user) {
      guard.failed(keys)
      counts.failure++
      request.log.info({ event: 'login-failed' }, 'login failed')
      if (form) return reply.code(401).type('text/html; charset=utf-8').send(loginPage(request.publicPrefix, next, csrfToken(request), LOGIN_FAILED))
      throw new LoginFailedError()
    }
    guard.succeeded(keys)
    counts.success++
    await startLoginSession(request, user, { store, maxAge: config.session.maxAge })
    // A browser (the form) becomes the account's known device; an API client stays a client.
    if (form) devices.issue(request, reply, user)
    request.log.info({ event: 'login', user }, 'login')
    if (form) return reply.redirect(next, 303)
    return reply.send({ user })
  }
}
