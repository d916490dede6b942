// `sessiond init DIR` scaffolds a realm that starts, passes its own test
// and type-checks, outside the repository, before any npm install.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

const run = promisify(execFile)

test('sessiond init scaffolds a realm that checks, passes its own test against the real daemon, and type-checks', async (t) => {
  const parent = await mkdtemp(join(tmpdir(), 'sessiond-init-'))
  t.after(() => rm(parent, { recursive: true, force: true }))
  const dir = join(parent, 'My Todo')
  const made = await runCli(['init', dir])
  assert.equal(made.code, 0, made.output)
  assert.match(made.stdout, /realm my-todo scaffolded in/)
  assert.match(await readFile(join(dir, 'sessiond.yaml'), 'utf8'), /mount: \/my-todo/)

  const checked = await runCli(['check', '--config', join(dir, 'sessiond.yaml')])
  assert.equal(checked.code, 0, checked.output)
  assert.match(checked.stdout, /realm my-todo \(\/my-todo\/, thread\): handler .*handler\.ts loads/)

  // Its own test, as its README says to run it, with the sessiond command of this checkout.
  // NODE_TEST_CONTEXT would make the inner `node --test` think it runs inside this one.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env
  const env = { ...outer, SESSIOND: join(ROOT, 'packages/gateway/bin/sessiond.mjs') }
  const own = await run(process.execPath, ['--test', 'handler.test.ts'], { cwd: dir, env }).catch(err => err)
  assert.match(own.stdout, /pass 1/, own.stdout + own.stderr)
  assert.match(own.stdout, /fail 0/)

  // Type-checked with its own tsconfig (Node's types stand in for an npm install of @types/node).
  await mkdir(join(dir, 'node_modules/@types'), { recursive: true })
  await symlink(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'))
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', dir]).catch((err) => assert.fail(`tsc: ${err.stdout}${err.stderr}`))

  const again = await runCli(['init', dir])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /is not empty/)
})
