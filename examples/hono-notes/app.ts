// An ordinary Hono app: nothing in it knows about sessiond. Mounted as a
// realm, each session gets its own instance, so `notes` is per session.
import { Hono } from 'hono'

export function createApp () {
  const notes: Array<{ id: number, text: string }> = []
  const app = new Hono()

  app.get('/', (c) => c.json({ notes }))

  app.post('/notes', async (c) => {
    const body = await c.req.json<{ text?: unknown }>().catch(() => null)
    if (typeof body?.text !== 'string' || body.text.length === 0 || body.text.length > 10_000) {
      return c.json({ error: 'text must be a non-empty string of at most 10000 characters' }, 400)
    }
    const note = { id: notes.length + 1, text: body.text }
    notes.push(note)
    return c.json(note, 201)
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

  return app
}
