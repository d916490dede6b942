/**
 * Where logins are checked and groups come from: the users file
 * (users-file.ts) or the system's accounts through PAM (pam-users.ts).
 * Login, realm `allow` rules and the CLI speak only this.
 */
export interface UserDirectory {
  /** Work done once before the first login (a stand-in hash, a library loaded). */
  prepare (): Promise<unknown>
  /**
   * The user name when the password is right, else null. An unknown name
   * costs the same time as a wrong password and answers the same.
   */
  verify (name: string, password: string): Promise<string | null>
  /** The user's groups, for realm `allow` rules; none for an unknown user. */
  groups (name: string): Promise<string[]>
}
