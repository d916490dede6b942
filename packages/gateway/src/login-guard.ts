import { LoginThrottle } from './login-throttle.ts'

export interface LoginGuardOptions {
  /** Failures of one account from one address, or from one of its devices, before delays begin. */
  attemptsPerUser: number
  /** Failures of one account from clients it does not know (any address) before delays begin. */
  attemptsPerAccount: number
  /** Failures from one address, any account, by clients it does not know, before delays begin. */
  attemptsPerIp: number
  delayMs: number
  maxDelayMs: number
}

/** The throttle keys of one login attempt. */
export interface AttemptKeys { device: string | null, pair: string, account: string, ip: string }

/**
 * Which failures slow which logins down, so that guessing stays slow and an
 * attacker still cannot lock a user out (issue 15, finding 11; OWASP's
 * guidance on credential stuffing: per account and address, delays rather
 * than locks, and device cookies):
 *
 * - a browser that is the account's known device (device-cookie.ts) is
 *   throttled by its own failures only: guesses made elsewhere, from the
 *   same address included, never slow it down;
 * - any other client is throttled per (account, address) pair, per account
 *   across every address (a higher threshold, against guesses spread over
 *   many addresses), and per address across accounts (against one address
 *   trying many accounts).
 *
 * So the right password works at once from a user's own browser, and from
 * any address that has not itself been guessing, whatever the attacker does.
 */
export class LoginGuard {
  #device: LoginThrottle
  #pair: LoginThrottle
  #account: LoginThrottle
  #ip: LoginThrottle

  constructor ({ attemptsPerUser, attemptsPerAccount, attemptsPerIp, delayMs, maxDelayMs }: LoginGuardOptions) {
    const throttle = (freeAttempts: number) => new LoginThrottle({ freeAttempts, delayMs, maxDelayMs })
    this.#device = throttle(attemptsPerUser)
    this.#pair = throttle(attemptsPerUser)
    this.#account = throttle(attemptsPerAccount)
    this.#ip = throttle(attemptsPerIp)
  }

  /** Unknown names get keys like real ones, so a throttle tells nothing about who exists. */
  static keys (username: string, ip: string, device: string | null): AttemptKeys {
    const name = username.slice(0, 64)
    return { device, pair: `${name}\n${ip}`, account: name, ip }
  }

  /** Milliseconds until this attempt may be checked; 0 when it may now. */
  retryAfter (k: AttemptKeys): number {
    if (k.device !== null) return this.#device.retryAfter(k.device)
    return Math.max(this.#pair.retryAfter(k.pair), this.#account.retryAfter(k.account), this.#ip.retryAfter(k.ip))
  }

  failed (k: AttemptKeys): void {
    if (k.device !== null) return this.#device.fail(k.device)
    this.#pair.fail(k.pair)
    this.#account.fail(k.account)
    this.#ip.fail(k.ip)
  }

  /** The address and the account keep their counts: one good login must not wipe guesses made against others. */
  succeeded (k: AttemptKeys): void {
    if (k.device !== null) this.#device.succeed(k.device)
    else this.#pair.succeed(k.pair)
  }
}
