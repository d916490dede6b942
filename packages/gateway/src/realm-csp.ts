/** A realm's `csp` settings as the config gives them. */
export interface RealmCsp {
  /** The policy, as in the header (`default-src 'self'; img-src *`). */
  policy?: string
  /**
   * `true`: the `sandbox` directive alone, so every page of the realm runs
   * in an opaque origin and can reach neither the gateway's nor another
   * realm's cookies and storage; a string: the directive with these
   * allowances (`allow-scripts allow-forms`). Never `allow-same-origin`,
   * which undoes the point.
   */
  sandbox?: boolean | string
}

/**
 * The Content-Security-Policy header value the gateway puts on every
 * response of a realm, replacing the worker's own; null for none.
 */
export function realmCspHeader (csp: RealmCsp | undefined): string | null {
  if (!csp) return null
  const parts: string[] = []
  if (csp.policy) parts.push(csp.policy.trim().replace(/;\s*$/, ''))
  if (csp.sandbox === true) parts.push('sandbox')
  else if (typeof csp.sandbox === 'string') parts.push(`sandbox ${csp.sandbox.trim()}`.trim())
  return parts.length > 0 ? parts.join('; ') : null
}
