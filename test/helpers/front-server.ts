// Real nginx and Apache httpd from Debian's packages, in front of a test
// daemon: each runs in the foreground from a temp directory of its own (pid,
// logs, temp files), on a free loopback port, with one of docs/deploy/*.conf
// included exactly as written but for its @PLACEHOLDERS@.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import { ROOT } from './daemon.ts'
import { freePort } from './free-port.ts'
import { findBinary } from './system-binary.ts'

/** A docs/deploy file with its placeholders replaced; any placeholder left over fails the test. */
export async function deployFile (name: string, values: Record<string, string>): Promise<string> {
  let text = await readFile(join(ROOT, 'docs/deploy', name), 'utf8')
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`@${key}@`, value)
  // Comments may name placeholders; directives must not keep any.
  const left = text.split('\n').filter(l => !l.trim().startsWith('#')).join('\n').match(/@[A-Z_]+@/g)
  if (left) throw new Error(`${name}: placeholders not substituted: ${[...new Set(left)].join(' ')}`)
  return text
}

export interface FrontServer {
  url: string
  port: number
  dir: string
  log: () => Promise<string>
}

/** Resolves once something accepts connections on the port; fails with the log if the server exits first. */
async function waitForPort (port: number, child: ChildProcess, log: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 15_000
  let exited = false
  child.once('exit', () => { exited = true })
  while (Date.now() < deadline) {
    if (exited) throw new Error(`front server exited before listening:\n${await log()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    // Neither server says on stdout when it listens: probing the port is the only signal there is.
    await sleep(50)
  }
  throw new Error(`front server did not listen on ${port}:\n${await log()}`)
}

async function run (t: TestContext, argv: string[], dir: string, port: number, logFile: string, scheme: string): Promise<FrontServer> {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', d => { out += d })
  child.stderr!.on('data', d => { out += d })
  const log = async () => out + (existsSync(logFile) ? await readFile(logFile, 'utf8') : '')
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    await rm(dir, { recursive: true, force: true })
  })
  await waitForPort(port, child, log)
  return { url: `${scheme}://127.0.0.1:${port}`, port, dir, log }
}

async function workDir (prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  // Run as root, both servers serve from unprivileged workers, which must reach the files here (htpasswd, temp).
  await chmod(dir, 0o755)
  return dir
}

/**
 * nginx in the foreground with `site` (a docs/deploy file, placeholders
 * replaced by the caller plus @LISTEN@) included in its http block.
 */
export async function startNginx (t: TestContext, site: (listen: string) => Promise<string>, { tls = false } = {}): Promise<FrontServer> {
  const dir = await workDir('sessiond-nginx-')
  const port = await freePort()
  await writeFile(join(dir, 'site.conf'), await site(`127.0.0.1:${port}`))
  const root = process.getuid?.() === 0
  await writeFile(join(dir, 'nginx.conf'), `
${root ? 'user root root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/site.conf;
}
`)
  const nginx = findBinary('nginx')!
  return run(t, [nginx, '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], dir, port, join(dir, 'error.log'), tls ? 'https' : 'http')
}

/**
 * Apache httpd in the foreground from docs/deploy/apache-httpd.conf (the
 * whole server config, placeholders replaced) including `site` (a
 * docs/deploy file, placeholders replaced by the caller plus @LISTEN@) as
 * apache.conf beside it, and `defines` passed as -D (the <IfDefine> options).
 */
export async function startApache (t: TestContext, site: (listen: string, dir: string) => Promise<string>, defines: string[] = [], { tls = false } = {}): Promise<FrontServer> {
  const dir = await workDir('sessiond-apache-')
  const port = await freePort()
  const listen = `127.0.0.1:${port}`
  await writeFile(join(dir, 'apache.conf'), await site(listen, dir))
  await writeFile(join(dir, 'httpd.conf'), await deployFile('apache-httpd.conf', { RUN_DIR: dir, LISTEN: listen }))
  const apache = findBinary('apache2')!
  return run(t, [apache, '-f', join(dir, 'httpd.conf'), '-DFOREGROUND', ...[...defines, ...(tls ? ['SESSIOND_TLS'] : [])].flatMap(d => ['-D', d])], dir, port, join(dir, 'error.log'), tls ? 'https' : 'http')
}
