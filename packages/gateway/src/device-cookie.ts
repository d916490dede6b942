import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

const NAME = 'sessiond-device'
/** Over HTTPS: `__Secure-` makes browsers insist on Secure. */
const SECURE_NAME = '__Secure-sessiond-device'
/** Browsers keep a cookie 400 days at most (RFC 6265bis). */
const MAX_AGE_S = 400 * 24 * 3600

/**
 * OWASP's device cookies: a browser that logged in as a user once carries
 * a cookie that vouches for it as that user's device, so that guesses from
 * elsewhere (other addresses, or many of them) cannot lock that user out:
 * its attempts are throttled on their own (login-guard.ts). The cookie
 * holds a random device id and a MAC over the user and that id under a key
 * derived from the cookie key; it opens nothing but the login's throttle.
 */
export class DeviceCookies {
  #key: Buffer

  constructor (cookieKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', cookieKey, Buffer.alloc(0), 'sessiond device cookie', 32))
  }

  #mac (user: string, device: string): Buffer {
    return createHmac('sha256', this.#key).update(user).update('\n').update(device).digest()
  }

  /** The device id the request's cookie vouches for as `user`'s, or null. */
  read (request: FastifyRequest, user: string): string | null {
    const value = request.cookies[request.protocol === 'https' ? SECURE_NAME : NAME]
    const [device, mac] = value?.split('.') ?? []
    if (!device || !mac || !/^[A-Za-z0-9_-]{22}$/.test(device)) return null
    const given = Buffer.from(mac, 'base64url')
    const expected = this.#mac(user, device)
    return given.length === expected.length && timingSafeEqual(given, expected) ? device : null
  }

  /** After a good login: the browser is `user`'s device from now on (its id kept when it had one). */
  issue (request: FastifyRequest, reply: FastifyReply, user: string): void {
    const device = this.read(request, user) ?? randomBytes(16).toString('base64url')
    const https = request.protocol === 'https'
    reply.setCookie(https ? SECURE_NAME : NAME, `${device}.${this.#mac(user, device).toString('base64url')}`, {
      path: `${request.publicPrefix}/login`,
      httpOnly: true,
      sameSite: 'strict',
      secure: https,
      maxAge: MAX_AGE_S
    })
  }
}
