#!/usr/bin/env node
// The `sessiond` command. It starts on whatever Node the machine has (Debian
// ships 20; the daemon needs >= 22.18 for type stripping and node:sqlite),
// so this file is plain JavaScript for Node 18+. With a recent enough Node it
// runs the CLI in this process; otherwise it finds one and runs the CLI under
// it: SESSIOND_NODE, then the Node a checkout of the repository provisioned
// (.tools/, see scripts/toolchain.mjs), then every `node` on PATH.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MIN = [22, 18]
const here = dirname(fileURLToPath(import.meta.url))
// A checkout runs the TypeScript sources; an installed package ships only dist/.
const main = [join(here, '..', 'src', 'cli', 'main.ts'), join(here, '..', 'dist', 'cli', 'main.js')].find(f => existsSync(f))

function recentEnough (version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number)
  return major > MIN[0] || (major === MIN[0] && minor >= MIN[1])
}

function versionOf (node) {
  const r = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 })
  return r.status === 0 ? r.stdout.trim() : null
}

/** The Node binaries of a checkout's .tools/ above this file, newest version first. */
function provisioned () {
  const out = []
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    const tools = join(dir, '.tools')
    if (!existsSync(tools)) continue
    for (const name of readdirSync(tools).filter(n => /^node-\d/.test(n)).sort().reverse()) {
      out.push(join(tools, name, 'package', 'bin', 'node'))
    }
  }
  return out
}

function candidates () {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map(d => join(d, 'node'))
  return [process.env.SESSIOND_NODE, ...provisioned(), ...onPath].filter(n => n && existsSync(n))
}

if (!main) {
  process.stderr.write(`sessiond: the CLI is missing beside ${here} (neither src/cli/main.ts nor dist/cli/main.js)\n`)
  process.exit(1)
}
if (recentEnough(process.versions.node)) {
  await import(pathToFileURL(main).href)
} else {
  const node = candidates().find(n => { const v = versionOf(n); return v !== null && recentEnough(v) })
  if (!node) {
    process.stderr.write(`sessiond: needs Node.js >= ${MIN.join('.')} (this is ${process.version}); none found in SESSIOND_NODE, a checkout's .tools/ or PATH. Install one, or set SESSIOND_NODE to its path.\n`)
    process.exit(1)
  }
  // The CLI handles signals itself (graceful stop, SIGHUP reload), and a second SIGINT means "stop now":
  // each must reach it once. At a terminal, Ctrl-C reaches the whole foreground group, the CLI too, so
  // SIGINT is not passed on; elsewhere the CLI gets a group of its own and every signal comes from here.
  const interactive = process.stdin.isTTY === true
  const child = spawn(node, [main, ...process.argv.slice(2)], { stdio: 'inherit', detached: !interactive })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { if (!(interactive && signal === 'SIGINT')) child.kill(signal) })
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)))
}
