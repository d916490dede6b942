const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => ESCAPES[c])
}

/** The gateway's own pages: small, no scripts, one stylesheet inline. */
export function page (title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sessiond</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1d2430}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;cursor:pointer}.error{color:#a00}ul{padding-left:1.2rem}
ul.realms li{margin:.3rem 0}.state{color:#5a6475;margin-left:.4rem}form.stop{display:inline}form.stop button{margin:0 0 0 .6rem;padding:.1rem .7rem;font-size:.9rem}
</style></head><body>
${body}
</body></html>
`
}
