/** Login attempts by result since start: what sessiond_login_attempts_total counts. */
export class LoginCounts {
  success = 0
  /** A wrong password or an unknown user. */
  failure = 0
  /** Answered 429 without checking the password (login-guard.ts). */
  throttled = 0
}
