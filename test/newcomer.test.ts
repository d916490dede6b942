// The path of someone new to sessiond: `npm start` in the checkout, then a handler in a directory of their own,
// outside the repository, with its own package.json; the packed SDK installed
// by npm from its tarball (with the CLI beside it, as a project would), the
// handler type-checked with the tsconfig `tsc --init` writes, and served by
// the installed `sessiond` command. And what such a handler sees when the SDK
// is not installed: a refusal at start-up, not a 502 at its first request.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { ROOT, login } from './helpers/daemon.ts'
import { packAll } from './helpers/packed.ts'
import { runCli } from './helpers/run-cli.ts'
import { spawnDaemon } from './helpers/spawn-daemon.ts'

const run = promisify(execFile)
const TSC = join(ROOT, 'node_modules/.bin/tsc')

const HANDLER = `import { defineHandler } from '@sessiond/worker-sdk'
import type { HandlerContext } from '@sessiond/worker-sdk'

const todos: string[] = []

export default defineHandler({
  async fetch (request: Request, ctx: HandlerContext): Promise<Response> {
    if (request.method === 'POST') todos.push(await request.text())
    return Response.json({ user: ctx.user, realm: ctx.realm, todos })
  }
})
`

async function outsideProject (t: import('node:test').TestContext, name: string): Promise<string> {
  // As root, process workers run as accounts of their own (runAs transient, the default) with a
  // private /tmp and /var/tmp: a project lives elsewhere, readable by others, as in /srv.
  const dir = await mkdtemp(join(process.getuid?.() === 0 ? '/srv' : tmpdir(), `${name}-`))
  t.after(() => rm(dir, { recursive: true, force: true }))
  await chmod(dir, 0o755)
  assert.ok(!dir.startsWith(ROOT), 'the project is outside the workspace')
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }, null, 2))
  await writeFile(join(dir, 'handler.ts'), HANDLER)
  await writeFile(join(dir, 'sessiond.yaml'), `users:\n  demo: demo\nrealms:\n  - name: todo\n    mount: /todo\n    handler: ./handler.ts\n  - name: todo-process\n    mount: /todo-process\n    handler: ./handler.ts\n    kind: process\n`)
  return dir
}

test('a handler outside the repository without the SDK installed stops start-up and check, naming the module and the path', async (t) => {
  const dir = await outsideProject(t, 'sessiond-nosdk')
  const config = join(dir, 'sessiond.yaml')
  const started = await runCli(['start', '--config', config, '--listen', '127.0.0.1:0', '--data', join(dir, 'data')], { killAfterMs: 20_000 })
  assert.equal(started.code, 78, started.output)
  const handler = join(dir, 'handler.ts')
  assert.match(started.stderr, new RegExp(`realm todo: handler ${handler}: Cannot find package '@sessiond/worker-sdk' imported from ${handler}`))
  assert.doesNotMatch(started.output, /listening/)
  const checked = await runCli(['check', '--config', config])
  assert.equal(checked.code, 78, checked.output)
  assert.match(checked.stderr, /realm todo-process: handler .*Cannot find package '@sessiond\/worker-sdk'/)
})

/** `npm start` in the checkout (in CI a fresh clone), as the README's first step: it serves the demo and prints its login. */
async function npmStart (t: import('node:test').TestContext): Promise<void> {
  const data = await mkdtemp(join(tmpdir(), 'sessiond-npm-start-'))
  t.after(() => rm(data, { recursive: true, force: true }))
  // A group of its own: npm, the bootstrap and the daemon under it stop together.
  const child = spawn('npm', ['start', '--', '--listen', '127.0.0.1:0', '--data', data], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    process.kill(-child.pid!, 'SIGTERM')
    await once(child, 'exit')
  }
  t.after(stop)
  let url = ''
  let demo: string[] = []
  for await (const line of createInterface({ input: child.stdout! })) {
    url ||= /^sessiond listening on (\S+)$/.exec(line)?.[1] ?? ''
    if (line.startsWith('demo login: ')) demo = line.split(' ').slice(2)
    if (url && demo.length > 0) break
  }
  const cookie = await login(url, demo[0], demo[1])
  assert.equal((await fetch(url + '/counter/', { headers: { cookie } })).status, 200)
  await stop()
}

test('newcomer: npm start serves the demo; the packed SDK installs outside the repository, type-checks with a default tsconfig and is served by the installed sessiond', async (t) => {
  await npmStart(t)
  const tarballs = await packAll(t)
  const dir = await outsideProject(t, 'sessiond-newcomer')
  // As a project would: the SDK as a dependency, the CLI (and the packages it needs) beside it.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarballs['worker-sdk'],
    '--save-dev', tarballs.gateway, tarballs.supervisor, tarballs['session-store']], { cwd: dir, timeout: 180_000 })
  const sdk = JSON.parse(await readFile(join(dir, 'node_modules/@sessiond/worker-sdk/package.json'), 'utf8'))
  assert.equal(sdk.exports['.'].types, './dist/index.d.ts', 'types come from the built .d.ts files')
  const installed = await run('find', [join(dir, 'node_modules/@sessiond'), '-name', '*.ts', '-not', '-name', '*.d.ts'])
  assert.equal(installed.stdout, '', 'no TypeScript sources are installed')

  // The tsconfig a newcomer gets from `tsc --init`, unchanged (it has no allowImportingTsExtensions).
  await run(TSC, ['--init'], { cwd: dir })
  assert.doesNotMatch(await readFile(join(dir, 'tsconfig.json'), 'utf8'), /"allowImportingTsExtensions": true/)
  await run(TSC, ['-p', '.', '--noEmit'], { cwd: dir }).catch((err) => assert.fail(`tsc: ${err.stdout}${err.stderr}`))

  // The installed command, from the project's directory, with a path relative to it.
  const bin = join(dir, 'node_modules/.bin/sessiond')
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` }
  const checked = await run(bin, ['check', '--config', 'sessiond.yaml'], { cwd: dir, env })
  assert.match(checked.stdout, /realm todo \(\/todo\/, thread\): handler handler\.ts loads/)
  const daemon = await spawnDaemon(t, bin, ['start', '--config', 'sessiond.yaml', '--listen', '127.0.0.1:0', '--data', 'data'], { cwd: dir, env })
  assert.ok(daemon.demo, daemon.output())
  const cookie = await login(daemon.url, daemon.demo.user, daemon.demo.password)
  for (const realm of ['todo', 'todo-process']) {
    const posted = await fetch(`${daemon.url}/${realm}/`, { method: 'POST', headers: { cookie }, body: 'write the docs' })
    assert.equal(posted.status, 200, `${await posted.clone().text()}\n${daemon.output()}`)
    assert.deepEqual(await posted.json(), { user: 'demo', realm, todos: ['write the docs'] })
  }
})
