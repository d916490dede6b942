// The `sessiond` command as a newcomer types it: under the machine's own
// (older) Node, from any directory, with paths relative to that directory,
// and with --help on every command.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './helpers/daemon.ts'
import { runCli } from './helpers/run-cli.ts'

const run = promisify(execFile)
const LAUNCHER = join(ROOT, 'packages/gateway/bin/sessiond.mjs')
const EXAMPLES = join(ROOT, 'examples')

/** A Node older than the project's 22.18, as Debian ships (scripts/toolchain.mjs installs nodejs for the tests). */
function olderNode (): string {
  for (const node of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(node)) continue
    const [major, minor] = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim().split('.').map(Number)
    if (major < 22 || (major === 22 && minor < 18)) return node
  }
  if (process.env.CI === 'true') throw new Error('no system Node older than 22.18: scripts/toolchain.mjs installs Debian\'s nodejs')
  return ''
}
const OLD_NODE = olderNode()
const skip = OLD_NODE ? false : 'no Node older than 22.18 on this machine'

test('the sessiond launcher runs under an older system Node, from another directory, with a config path relative to it', { skip }, async () => {
  const { stdout } = await run(OLD_NODE, [LAUNCHER, 'check', '--config', 'demo.yaml'], { cwd: EXAMPLES })
  assert.match(stdout, /^config .*examples\/demo\.yaml: valid$/m)
  assert.match(stdout, /sessiond check: \d+ realms ready/)
  // The workspace's bin shim, with the older Node first on PATH, as a shell would find it.
  const shim = join(ROOT, 'node_modules/.bin/sessiond')
  const env = { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH}` }
  const viaShim = await run(shim, ['check', '--config', 'demo.yaml'], { cwd: EXAMPLES, env })
  assert.match(viaShim.stdout, /realms ready/)
})

test('npm link puts a sessiond on PATH that runs from any directory under the older Node', { skip }, async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const prefix = await mkdtemp(join(tmpdir(), 'sessiond-link-'))
  t.after(() => rm(prefix, { recursive: true, force: true }))
  // npm's global prefix moved to a temporary one: the machine's own stays untouched.
  const env = { ...process.env, NPM_CONFIG_PREFIX: prefix, PATH: `${join(prefix, 'bin')}:/usr/bin:/bin` }
  await run('npm', ['link', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: join(ROOT, 'packages/gateway'), env, timeout: 120_000 })
  const { stdout } = await run('sessiond', ['check', '--config', 'demo.yaml'], { cwd: EXAMPLES, env })
  assert.match(stdout, /realms ready/)
})

test('npm run sessiond reads a config path relative to the directory it was run from', async () => {
  const { stdout } = await run('npm', ['run', '--silent', 'sessiond', '--', 'check', '--config', 'demo.yaml'], { cwd: EXAMPLES, timeout: 120_000 })
  assert.match(stdout, /^config .*examples\/demo\.yaml: valid$/m)
})

test('every command answers --help with its usage and exit status 0', async () => {
  for (const command of ['start', 'check', 'init', 'user', 'cert', 'keys']) {
    const r = await runCli([command, '--help'])
    assert.equal(r.code, 0, `${command}: ${r.output}`)
    assert.match(r.stdout, new RegExp(`^sessiond ${command} `), command)
    assert.match(r.stdout, /-h, --help/, command)
  }
  const top = await runCli(['--help'])
  assert.equal(top.code, 0)
  assert.match(top.stdout, /sessiond check --config FILE/)
  const about = await runCli(['help', 'init'])
  assert.match(about.stdout, /^sessiond init DIR/)
})

test('the installed launcher names what it needs when no recent Node is found', { skip }, async () => {
  // A copy of the launcher outside any checkout and a PATH with only the older Node: nothing to run the CLI with.
  const { mkdtemp, cp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'sessiond-bin-'))
  try {
    await cp(join(ROOT, 'packages/gateway/bin'), join(dir, 'bin'), { recursive: true })
    await cp(join(ROOT, 'packages/gateway/src/cli/main.ts'), join(dir, 'src/cli/main.ts'))
    const r = spawnSync(OLD_NODE, [join(dir, 'bin/sessiond.mjs'), '--help'], { encoding: 'utf8', env: { PATH: '/nonexistent' } })
    assert.equal(r.status, 1)
    assert.match(r.stderr, /needs Node\.js >= 22\.18 \(this is v\d+/)
    assert.match(r.stderr, /SESSIOND_NODE/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
