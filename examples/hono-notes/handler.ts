// Mounting the Hono app unchanged: Hono's `fetch` already speaks
// Request → Response, which is the handler contract. The page for browsers
// is the demo's (a way home, a log out); the app itself stays sessiond-free.
import { defineHandler } from '@sessiond/worker-sdk'
import { demoPage, escapeHtml } from '../demo-page/page.ts'
import { createApp } from './app.ts'
import type { Note } from './app.ts'

function notesPage (notes: readonly Note[], user: string): Response {
  const items = notes.map(n => `<li>${escapeHtml(n.text)} <form method="post" action="notes/${n.id}/delete"><button type="submit" aria-label="delete note ${n.id}">×</button></form></li>`).join('\n')
  return demoPage({
    title: 'Notes',
    user,
    body: `<h1>Notes</h1>
<form method="post" action="notes"><input type="text" name="text" required maxlength="10000" placeholder="A note" autofocus> <input type="submit" value="Add"></form>
${notes.length === 0 ? '<p id="empty">No notes yet in this session.</p>' : `<ul class="notes" id="notes">${items}</ul>`}
<p class="note">A plain Hono app, mounted as it is. Each session has its own instance in its own worker, so these
notes are this session's only, kept in that worker's memory.</p>`
  })
}

let user = ''
const app = createApp({ page: (notes) => notesPage(notes, user) })

export default defineHandler({
  fetch (request, ctx) {
    user = ctx.user
    return app.fetch(request)
  }
})
