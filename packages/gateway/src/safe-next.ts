/**
 * Where to send the browser after login: a same-origin path only, and
 * under a mount prefix (`/apps`) a path below it. Anything that could
 * leave the origin (`//host`, `/\host`, a scheme, control characters), or
 * the prefix, becomes the prefix's root (`/` without a prefix).
 */
export function safeNext (next: unknown, prefix = ''): string {
  const home = prefix + '/'
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return home
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return home
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return home
  let path: string
  try {
    const url = new URL(next, 'http://origin.invalid')
    if (url.origin !== 'http://origin.invalid') return home
    path = url.pathname + url.search + url.hash
  } catch {
    // An unparsable path is not a destination.
    return home
  }
  // Checked after dot segments resolved: `/apps/../admin` is not below /apps.
  if (prefix === '' || path.startsWith(home)) return path
  const rest = path.startsWith(prefix) ? path.slice(prefix.length) : '/'
  return rest === '' || rest[0] === '?' || rest[0] === '#' ? path : home
}
