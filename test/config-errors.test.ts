import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { LAB } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

async function runStart (t: TestContext, configText: string, name = 'sessiond.yaml') {
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-cfg-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, name)
  await writeFile(file, configText)
  return { ...await runCli(['start', '--config', file, '--data', join(dir, 'data')]), file }
}

test('an invalid config stops start-up naming the file, each path and what was expected', async (t) => {
  const r = await runStart(t, `
listen: "nowhere"
store: { kind: postgres }
realms:
  - name: Lab
    mount: lab/
    handler: ${LAB}
    kind: fork
    idleTimeout: soon
    colour: blue
`)
  assert.notEqual(r.code, 0)
  assert.doesNotMatch(r.stdout, /listening/)
  assert.match(r.stderr, new RegExp(r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
  for (const [path, what] of [
    ['/listen', 'HOST:PORT'],
    ['/store/kind', 'one of "sqlite", "memory"'],
    ['/realms/0/name', 'lower-case name'],
    ['/realms/0/mount', 'path prefix'],
    ['/realms/0/kind', '"thread"'],
    ['/realms/0/idleTimeout', 'duration'],
    ['/realms/0/colour', 'unknown key']
  ]) {
    assert.match(r.stderr, new RegExp(`${path}: [^\\n]*${what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${path} reported`)
  }
})

test('a config that is not YAML, or names a missing handler, is refused before listening', async (t) => {
  const broken = await runStart(t, 'realms: [ { name: x\n')
  assert.notEqual(broken.code, 0)
  assert.match(broken.stderr, /invalid config/)
  const missing = await runStart(t, JSON.stringify({ realms: [{ name: 'x', mount: '/x', handler: './nope.ts' }] }), 'c.json')
  assert.notEqual(missing.code, 0)
  assert.match(missing.stderr, /\/realms\/0\/handler: expected an existing module/)
})

test('a missing config file is a clear error, not a stack trace', async () => {
  const { code, stderr } = await runCli(['start', '--config', '/nonexistent/sessiond.yaml'])
  assert.notEqual(code, 0)
  assert.match(stderr, /cannot read config \/nonexistent\/sessiond.yaml/)
  assert.doesNotMatch(stderr, /\n\s+at /)
})
