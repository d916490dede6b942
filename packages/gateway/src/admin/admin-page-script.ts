// The admin page's script and stylesheet, served as files of their own so
// that the page's CSP can forbid every inline script and style. Plain
// browser JavaScript, no build step; kept as strings so that the packed
// gateway (dist/ only) carries them. Everything shown is set as text, never
// as HTML.

export const ADMIN_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem;color:#1d2430}
h1{font-size:1.35rem;margin:0 0 .8rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
nav{display:flex;gap:1rem;align-items:center;margin-bottom:1rem}nav .who{margin-left:auto;color:#5a6475}
.filters{display:flex;gap:.6rem;flex-wrap:wrap;margin:.4rem 0 .8rem}.filters label{display:flex;gap:.3rem;align-items:center}
input,select,button{font:inherit;padding:.25rem .5rem}button{cursor:pointer}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e2e6ee;white-space:nowrap}
th{background:#f3f6fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.state{font-weight:600}.state-ready{color:#17713a}.state-busy{color:#8a5a00}.state-starting{color:#2456a6}
.state-hibernated{color:#5a6475}.state-backoff{color:#a00}.state-stopping{color:#7a3ea8}
#message{min-height:1.4em;color:#2456a6}#message.error{color:#a00}.empty{color:#5a6475;font-style:italic}
`

export const ADMIN_JS = `
'use strict'
;(function () {
  var meta = function (name) { return document.querySelector('meta[name="' + name + '"]').getAttribute('content') }
  var prefix = meta('sessiond-prefix')
  var csrf = meta('sessiond-csrf')
  var api = prefix + '/_sessiond/admin/api/v1'
  var last = { sessions: [], workers: [] }
  var message = document.getElementById('message')

  function say (text, error) {
    message.textContent = text
    message.className = error ? 'error' : ''
  }
  function time (ms) { return ms ? new Date(ms).toLocaleTimeString() : '' }
  function age (ms) {
    if (!ms) return ''
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000))
    return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h'
  }
  function mib (bytes) { return bytes === null || bytes === undefined ? '' : (bytes / 1048576).toFixed(1) + ' MiB' }
  function cell (tr, text, cls) {
    var td = document.createElement('td')
    td.textContent = text === null || text === undefined ? '' : String(text)
    if (cls) td.className = cls
    tr.appendChild(td)
    return td
  }
  function button (td, label, onClick) {
    var b = document.createElement('button')
    b.type = 'button'
    b.textContent = label
    b.dataset.action = label.toLowerCase().replace(/ .*/, '')
    b.addEventListener('click', onClick)
    td.appendChild(b)
  }
  function act (path, question) {
    if (!window.confirm(question)) return
    fetch(api + path, { method: 'POST', headers: { 'x-sessiond-csrf': csrf, 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin' })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body } }) })
      .then(function (r) {
        if (!r.ok) return say(r.body.message || 'failed', true)
        if (r.body.action) say(r.body.action + ': ' + r.body.before.user + ' in ' + r.body.before.realm + ' was ' + r.body.before.state + ', is now ' + (r.body.after ? r.body.after.state : 'gone'))
        else if (r.body.ended) say('ended ' + r.body.ended.length + ' session(s)')
        else say('done')
      })
      .catch(function (err) { say(String(err), true) })
  }
  function filters () {
    return {
      user: document.getElementById('f-user').value.trim(),
      realm: document.getElementById('f-realm').value,
      state: document.getElementById('f-state').value
    }
  }
  function keep (f, w) {
    return (!f.user || w.user === f.user) && (!f.realm || w.realm === f.realm) && (!f.state || w.state === f.state)
  }
  function renderWorkers (f) {
    var body = document.getElementById('workers-body')
    body.textContent = ''
    var shown = last.workers.filter(function (w) { return keep(f, w) })
    if (shown.length === 0) {
      var tr = document.createElement('tr')
      cell(tr, 'no workers', 'empty').colSpan = 15
      body.appendChild(tr)
    }
    shown.forEach(function (w) {
      var tr = document.createElement('tr')
      tr.dataset.id = w.id
      tr.dataset.user = w.user
      tr.dataset.realm = w.realm
      cell(tr, w.user)
      cell(tr, w.realm)
      cell(tr, w.kind)
      cell(tr, w.state, 'state state-' + w.state)
      cell(tr, w.pid !== null ? 'pid ' + w.pid : w.threadId !== null ? 'thread ' + w.threadId : '')
      cell(tr, w.uid !== null ? w.uid + ':' + w.gid : '')
      cell(tr, age(w.startedAt), 'num')
      cell(tr, age(w.lastActivity), 'num')
      cell(tr, w.requests, 'num')
      cell(tr, w.inFlight + ' / ' + w.queued, 'num')
      cell(tr, w.rssBytes !== null ? mib(w.rssBytes) : mib(w.heapUsedBytes) + (w.heapUsedBytes !== null ? ' heap' : ''), 'num')
      cell(tr, w.cpuSeconds !== null ? w.cpuSeconds.toFixed(2) + ' s' : '', 'num')
      cell(tr, w.restarts, 'num')
      cell(tr, w.session)
      var td = cell(tr, '')
      var who = w.user + ' in ' + w.realm
      if (w.state !== 'hibernated' && w.state !== 'stopping') button(td, 'Hibernate', function () { act('/workers/' + encodeURIComponent(w.id) + '/hibernate', 'Hibernate the worker of ' + who + '?') })
      button(td, 'Stop', function () { act('/workers/' + encodeURIComponent(w.id) + '/stop', 'Stop the worker of ' + who + '? Its unsaved state is lost.') })
      button(td, 'Restart', function () { act('/workers/' + encodeURIComponent(w.id) + '/restart', 'Restart the worker of ' + who + '?') })
      body.appendChild(tr)
    })
  }
  function renderSessions (f) {
    var body = document.getElementById('sessions-body')
    body.textContent = ''
    var shown = last.sessions.filter(function (s) {
      return (!f.user || s.user === f.user) && (!f.realm && !f.state || s.workers.some(function (w) { return keep(f, w) }))
    })
    if (shown.length === 0) {
      var tr = document.createElement('tr')
      cell(tr, 'no sessions', 'empty').colSpan = 7
      body.appendChild(tr)
    }
    shown.forEach(function (s) {
      var tr = document.createElement('tr')
      tr.dataset.id = s.id
      tr.dataset.user = s.user
      cell(tr, s.id)
      cell(tr, s.user)
      cell(tr, time(s.createdAt))
      cell(tr, age(s.lastSeenAt), 'num')
      cell(tr, time(s.expiresAt))
      cell(tr, s.workers.map(function (w) { return w.realm + ' ' + w.state }).join(', '))
      var td = cell(tr, '')
      button(td, 'End session', function () { act('/sessions/' + encodeURIComponent(s.id) + '/end', 'Log this session of ' + s.user + ' out?') })
      button(td, 'End all of user', function () { act('/users/' + encodeURIComponent(s.user) + '/sessions/end', 'Log ' + s.user + ' out everywhere?') })
      body.appendChild(tr)
    })
  }
  function render () {
    var f = filters()
    renderWorkers(f)
    renderSessions(f)
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString()
  }
  ['f-user', 'f-realm', 'f-state'].forEach(function (id) { document.getElementById(id).addEventListener('input', render) })
  document.getElementById('reload').addEventListener('click', function () { act('/reload', 'Re-read the config file?') })
  var events = new EventSource(api + '/events')
  events.addEventListener('snapshot', function (e) {
    last = JSON.parse(e.data)
    render()
  })
  events.addEventListener('error', function () { document.getElementById('updated').textContent = 'reconnecting…' })
})()
`
