/** The chat page: plain HTML and a WebSocket back to the same realm, relative to where it was served. */
export function page (user: string): string {
  const safe = user.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chat</title>
<style>body{font:16px system-ui;margin:2rem;max-width:40rem}#lines{list-style:none;padding:0}#status{color:#666}</style>
</head><body>
<h1>Chat of ${safe}'s tabs</h1>
<p id="status">connecting…</p>
<ul id="lines"></ul>
<form id="say"><input id="text" autocomplete="off" aria-label="message"><button>Send</button></form>
<script>
const status = document.getElementById('status')
const lines = document.getElementById('lines')
const url = new URL('socket', location.href)
url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
const ws = new WebSocket(url)
window.chat = { opened: 0, worker: null, resumed: false, closed: null }
function add (line) {
  const li = document.createElement('li')
  li.textContent = line.from + ': ' + line.text
  lines.append(li)
}
ws.onopen = () => { window.chat.opened++; status.textContent = 'connected' }
ws.onmessage = (e) => {
  const m = JSON.parse(e.data)
  window.chat.worker = m.worker
  window.chat.resumed = m.resumed
  if (m.t === 'hello') { status.textContent = 'connected as ' + m.tab; m.history.forEach(add) }
  else add(m.line)
}
ws.onclose = (e) => { window.chat.closed = e.code; status.textContent = 'closed (' + e.code + (e.reason ? ': ' + e.reason : '') + ')' }
document.getElementById('say').onsubmit = (e) => {
  e.preventDefault()
  const input = document.getElementById('text')
  if (input.value) ws.send(input.value)
  input.value = ''
}
</script>
</body></html>`
}
