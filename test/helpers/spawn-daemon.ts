// A `sessiond start` run by any command line (the installed bin, the
// launcher under another Node), read until it prints where it listens and,
// when it has one, its demo login; stopped after the test.
import { spawn } from 'node:child_process'
import type { SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'

export interface SpawnedDaemon {
  url: string
  demo?: { user: string, password: string }
  output: () => string
}

export async function spawnDaemon (t: TestContext, command: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnedDaemon> {
  const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stderr!.on('data', (d) => { out += d })
  t.after(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  })
  const lines = createInterface({ input: child.stdout! })
  let url = ''
  let demo: SpawnedDaemon['demo']
  let timer: NodeJS.Timeout | undefined
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off('exit', exited)
      resolve()
    }
    const exited = (code: number | null) => reject(new Error(`sessiond exited with ${code} before listening:\n${out}`))
    child.once('exit', exited)
    lines.on('line', (line) => {
      out += line + '\n'
      url ||= /^sessiond listening on (\S+)$/.exec(line)?.[1] ?? ''
      const d = /^demo login: (\S+) (\S+)$/.exec(line)
      if (d) demo = { user: d[1], password: d[2] }
      // The banner comes first and the demo login right after it, when there is one
      // (in the same write or the next: give it a moment).
      if (url && !timer) {
        timer = setTimeout(done, 300)
      }
      if (url && demo) done()
    })
  })
  return { url, demo, output: () => out }
}
