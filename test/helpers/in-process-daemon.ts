// The gateway started inside the test's own process from a config file in a
// temporary directory, for tests that reach into it (its supervisor, store,
// line protocol or redirect listener); closed after the test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { createLogger, loadConfig, startDaemon } from '@sessiond/gateway'
import type { Daemon } from '@sessiond/gateway'

/** `config` as a JSON config file, started on a free loopback port with a fresh data directory and a silent logger. */
export async function startInProcessDaemon (t: TestContext, config: Record<string, unknown>): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-in-process-'))
  const file = join(dir, 'sessiond.json')
  let d: Daemon
  try {
    await writeFile(file, JSON.stringify(config))
    d = await startDaemon(loadConfig(file, { listen: '127.0.0.1:0', dataDir: join(dir, 'data') }), createLogger('silent'))
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  // after() hooks run in the order they were added: the daemon stops before its data directory goes.
  t.after(async () => {
    await d.close()
    await rm(dir, { recursive: true, force: true })
  })
  return d
}
