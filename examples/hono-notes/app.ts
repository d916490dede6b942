// An ordinary Hono app: nothing in it knows about sessiond. Mounted as a
// realm, each session gets its own instance, so `notes` is per session.
// JSON for API clients; for browsers (Accept: text/html) a page with a form,
// drawn by the `page` function the caller passes in.
import { Hono } from 'hono'
import type { Context } from 'hono'

export interface Note { id: number, text: string }

export interface AppOptions {
  /** Renders the HTML page for browsers; without it the app answers JSON only. */
  page?: (notes: readonly Note[], c: Context) => Response | Promise<Response>
}

const MAX_TEXT = 10_000

export function createApp ({ page }: AppOptions = {}) {
  const notes: Note[] = []
  let next = 1
  const app = new Hono()
  const browser = (c: Context) => page !== undefined && (c.req.header('accept')?.includes('text/html') ?? false)

  app.get('/', (c) => browser(c) ? page!(notes, c) : c.json({ notes }))

  app.post('/notes', async (c) => {
    // A browser's form sends the fields form-encoded; API clients send JSON.
    const form = c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded') ?? false
    const text = form
      ? (await c.req.parseBody().catch(() => ({})) as Record<string, unknown>).text
      : (await c.req.json<{ text?: unknown }>().catch(() => null))?.text
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
      return c.json({ error: 'text must be a non-empty string of at most 10000 characters' }, 400)
    }
    const note = { id: next++, text }
    notes.push(note)
    // After a form post, back to the page (a 303 turns the POST into a GET: no resubmission on reload).
    return form ? c.redirect('./', 303) : c.json(note, 201)
  })

  app.get('/notes/:id', (c) => {
    const note = notes.find(n => n.id === Number(c.req.param('id')))
    return note ? c.json(note) : c.json({ error: 'no such note' }, 404)
  })

  app.delete('/notes/:id', (c) => {
    const i = notes.findIndex(n => n.id === Number(c.req.param('id')))
    if (i === -1) return c.json({ error: 'no such note' }, 404)
    notes.splice(i, 1)
    return c.body(null, 204)
  })

  // HTML forms cannot send DELETE: the page's delete buttons post here.
  app.post('/notes/:id/delete', (c) => {
    const i = notes.findIndex(n => n.id === Number(c.req.param('id')))
    if (i !== -1) notes.splice(i, 1)
    return c.redirect('../../', 303)
  })

  return app
}
