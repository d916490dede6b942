/**
 * Where to send the browser after login: a same-origin path only. Anything
 * that could leave the origin (`//host`, `/\host`, a scheme, control
 * characters) becomes `/`.
 */
export function safeNext (next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/'
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/'
  try {
    const url = new URL(next, 'http://origin.invalid')
    if (url.origin !== 'http://origin.invalid') return '/'
    return url.pathname + url.search + url.hash
  } catch {
    // An unparsable path is not a destination.
    return '/'
  }
}
