// The demo's `process` realm: each session's worker is a Node process of its
// own, and when the daemon runs as root (the realm's whenRoot: { runAs:
// session-user }) it runs as the system account named like the login. The
// page says which account it runs as, and why.
import { userInfo } from 'node:os'
import { defineHandler } from '@sessiond/worker-sdk'
import { demoPage, escapeHtml, wantsHtml } from '../demo-page/page.ts'

let requests = 0
const startedAt = new Date()

/** This process's account; a transient uid (runAs transient) has no name in the passwd database. */
function account (): { uid: number, gid: number, username: string } {
  try {
    return userInfo()
  } catch {
    // No passwd entry for this uid: name it by number.
    return { uid: process.getuid!(), gid: process.getgid!(), username: `uid ${process.getuid!()}` }
  }
}

export default defineHandler({
  fetch (request, ctx) {
    requests++
    const me = account()
    const asYou = me.username === ctx.user
    const facts = { user: ctx.user, pid: process.pid, ppid: process.ppid, uid: me.uid, gid: me.gid, account: me.username, asYou, requests, startedAt: startedAt.toISOString() }
    if (!wantsHtml(request)) return Response.json(facts)
    const why = asYou
      ? `This worker runs <strong>as you</strong>: the system account <code>${escapeHtml(me.username)}</code> (uid ${me.uid}).
The daemon runs as root and this realm sets <code>runAs: session-user</code>, so it switched to your account
(<code>initgroups</code>, <code>setgid</code>, <code>setuid</code>) before loading any handler code: it can read your files and nobody else's.`
      : `This worker runs as <code>${escapeHtml(me.username)}</code> (uid ${me.uid}), the daemon's own account, not as you:
<code>runAs: session-user</code> needs the daemon to run as root, and a system account named like your login
(with <code>users.source: pam</code> every login is one).`
    return demoPage({
      title: 'Who am I',
      user: ctx.user,
      body: `<h1>A process of your own</h1>
<p class="note" id="account">${why}</p>
<dl>
<dt>process</dt><dd id="pid">${process.pid} (its parent, the daemon: ${process.ppid})</dd>
<dt>account</dt><dd>${escapeHtml(me.username)}, uid ${me.uid}, gid ${me.gid}</dd>
<dt>requests</dt><dd>${requests} since ${startedAt.toISOString()}</dd>
</dl>
<p>Each session gets its own process: log in from another browser and the process id differs.</p>`
    })
  }
})
