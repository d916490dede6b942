// Mounting the Hono app unchanged: Hono's `fetch` already speaks
// Request → Response, which is the handler contract.
import { defineHandler } from '@sessiond/worker-sdk'
import { createApp } from './app.ts'

const app = createApp()

export default defineHandler({
  fetch: (request) => app.fetch(request)
})
