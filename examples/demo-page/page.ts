// The demo realms' pages: one look, and on every page the way home (the
// gateway's own page, which lists the realms) and a log out. Links are
// relative (`../`), so the pages work under any mount and any front-server
// prefix. Log out is a same-origin JSON POST: the gateway asks form posts
// for a token that only its own pages carry, and a JSON request cannot
// come from another site's form.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe for HTML content and quoted attributes. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ESCAPES[c])
}

/** Whether a request is a browser asking for a page (the JSON API answers everyone else). */
export function wantsHtml (request: Request): boolean {
  return request.headers.get('accept')?.includes('text/html') ?? false
}

export interface DemoPage {
  title: string
  /** The logged-in user, shown beside the log out button. */
  user: string
  /** HTML, already escaped where it holds data. */
  body: string
}

/** A whole page, as a Response. */
export function demoPage ({ title, user, body }: DemoPage, init: ResponseInit = {}): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sessiond demo</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d2430}
nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid #d8dde6;padding-bottom:.6rem;margin-bottom:1.2rem}
nav .who{margin-left:auto;color:#5a6475}
h1{font-size:1.5rem;margin:.2rem 0 1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}
dt{color:#5a6475}dd{margin:0;font-family:ui-monospace,monospace}.big{font-size:2.4rem;font-weight:600}
.note{background:#f3f6fa;border-left:4px solid #4a7bd0;padding:.6rem .9rem;margin:1rem 0}
button,input[type=submit]{padding:.45rem 1rem;font:inherit;cursor:pointer}input[type=text]{padding:.45rem;font:inherit;width:70%}
ul.notes{padding-left:1.2rem}ul.notes form{display:inline}
</style></head><body>
<nav><a href="../">Home</a><span class="who">${escapeHtml(user)}</span><button type="button" id="logout">Log out</button></nav>
${body}
<script>
document.getElementById('logout').addEventListener('click', async () => {
  await fetch('../logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  location.href = '../login'
})
</script>
</body></html>
`
  return new Response(html, { ...init, headers: { 'content-type': 'text/html; charset=utf-8', ...init.headers } })
}
