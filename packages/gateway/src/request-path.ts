/**
 * Whether the path of a request URL is the one and only spelling of itself,
 * so that what the router matched is exactly what a worker reads. Refused:
 * anything not in origin form (`http://…`, `*`), empty segments (`//`), dot
 * segments written plainly or percent-encoded (`..`, `%2e%2e`), encoded
 * separators (`%2f`, `%5c`), backslashes, NUL and other control characters,
 * broken percent-escapes, and unreserved characters written as escapes
 * (`%6c` for `l`), which a router decodes and a prefix match does not.
 */
export function isCanonicalPath (url: string): boolean {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (path.charCodeAt(0) !== 47 /* / */) return false
  if (path.length === 1) return true
  const segments = path.slice(1).split('/')
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]
    // A trailing slash leaves one empty last segment: /lab/ is fine, /lab//x is not.
    if (seg === '') {
      if (i === segments.length - 1) continue
      return false
    }
    if (seg === '.' || seg === '..') return false
    if (seg.includes('\\')) return false
    if (!seg.includes('%')) continue
    let decoded: string
    try {
      decoded = decodeURIComponent(seg)
    } catch {
      // A broken escape (%zz, a lone %) names no path.
      return false
    }
    if (decoded === '.' || decoded === '..') return false
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    if (/[/\\\u0000-\u001f\u007f]/.test(decoded)) return false
    // An escape of an unreserved character (RFC 3986 §2.3) is a second spelling of a plain path.
    if (/%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[de]|5f|7e)/i.test(seg)) return false
  }
  return true
}
