// An ordinary Express app: nothing here knows about sessiond. Mounted as a
// realm, each session gets its own instance, so `cart` is per session.
import express from 'express'

export function createApp () {
  const cart: string[] = []
  const app = express()
  app.use(express.json({ limit: '16kb' }))

  app.get('/', (req, res) => {
    res.json({ user: req.get('x-sessiond-user') ?? null, cart })
  })

  app.post('/cart', (req, res) => {
    const item = (req.body as { item?: unknown } | undefined)?.item
    if (typeof item !== 'string' || item.length === 0 || item.length > 200) {
      res.status(400).json({ error: 'item must be a non-empty string of at most 200 characters' })
      return
    }
    cart.push(item)
    res.status(201).json({ cart })
  })

  app.delete('/cart', (_req, res) => {
    cart.length = 0
    res.status(204).end()
  })

  return app
}
