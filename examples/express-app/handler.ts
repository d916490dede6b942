// Mounting the Express app unchanged: fromNodeListener runs any Node
// (req, res) listener inside the worker, thread or process.
import { fromNodeListener } from '@sessiond/worker-sdk'
import { createApp } from './app.ts'

export default fromNodeListener(createApp())
