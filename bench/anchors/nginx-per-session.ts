// The third anchor of bench/request-path.ts: nginx with one worker process
// in front of one plain Node `http` server per session (the exec kind's
// bench/fixtures/exec-hello.mjs, so the backends are the same program the
// exec realm runs), each on a unix socket, routed by the session cookie:
// an nginx `map` from $cookie_sessiond to an upstream per session, with
// keep-alive connections to the upstreams. Config, sockets, logs and temp
// files live in a temporary directory; nginx runs in the foreground on a
// free loopback port and is stopped with the bench.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import type { NetConnectOpts } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../test/helpers/free-port.ts'
import { findBinary } from '../../test/helpers/system-binary.ts'
import { tempDir, trackChild } from '../cleanup.ts'

const BACKEND = fileURLToPath(new URL('../fixtures/exec-hello.mjs', import.meta.url))
const COOKIE = 'sessiond'
/** Idle keep-alive connections nginx keeps per upstream: one request in flight per session here. */
const UPSTREAM_KEEPALIVE = 4

export interface NginxPerSession {
  url: string
  /** nginx's one worker process: the process that does the routing. */
  pid: number
  stop (): Promise<void>
}

/** Backends started together; each then has the whole listen deadline. */
const BACKENDS_AT_ONCE = 8

async function accepts (target: NetConnectOpts): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect(target, () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

/** Waits until something accepts on `target`; fails early when `child` exits. */
async function waitForListener (target: NetConnectOpts, child: ChildProcess, what: string, log = async () => ''): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited before listening:\n${await log()}`)
    if (await accepts(target)) return
    // Neither nginx nor the backend says when it listens: probing is the signal.
    await sleep(20)
  }
  throw new Error(`${what} did not listen within 15 s:\n${await log()}`)
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  if (await Promise.race([exited.then(() => false), sleep(10_000, true)])) {
    child.kill('SIGKILL')
    await exited
  }
}

/** nginx's worker: the one child of the master. */
async function workerPid (master: number): Promise<number> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const kids = (await readFile(`/proc/${master}/task/${master}/children`, 'utf8').catch(() => '')).split(' ').filter(Boolean).map(Number)
    if (kids.length > 0) return kids[0]
    await sleep(20)
  }
  throw new Error(`nginx (pid ${master}) started no worker`)
}

function nginxConf (dir: string, port: number, sessions: readonly string[]): string {
  for (const s of sessions) if (/["\\$;{}\s]/.test(s)) throw new Error(`a session cookie value nginx cannot take as it is: ${s}`)
  const longest = Math.max(...sessions.map(s => s.length))
  return `${process.getuid?.() === 0 ? 'user root root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    map_hash_bucket_size ${2 ** Math.ceil(Math.log2(longest + 32))};
    map $cookie_${COOKIE} $session_upstream {
        default "";
${sessions.map((s, i) => `        "${s}" s${i};`).join('\n')}
    }
${sessions.map((_s, i) => `    upstream s${i} { server unix:${dir}/s${i}.sock; keepalive ${UPSTREAM_KEEPALIVE}; }`).join('\n')}
    server {
        listen 127.0.0.1:${port};
        location / {
            if ($session_upstream = "") { return 401; }
            proxy_pass http://$session_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`
}

/** Starts one backend per session value (the cookie's value, as the client sends it) and nginx in front. */
export async function startNginxPerSession (sessions: readonly string[]): Promise<NginxPerSession> {
  const nginx = findBinary('nginx')
  if (!nginx) throw new Error('nginx is not installed: `npm run bench` installs it (scripts/toolchain.mjs), or apt-get install -y nginx')
  const dir = tempDir('nginx')
  const children: ChildProcess[] = []
  const stop = async () => {
    await Promise.allSettled(children.map(stopChild))
    dir.remove()
  }
  try {
    // A few at a time: fifty Node processes starting at once on a loaded two-core machine took
    // longer than the listen deadline (seen while the daemon's 150 workers were live).
    for (let from = 0; from < sessions.length; from += BACKENDS_AT_ONCE) {
      await Promise.all(sessions.slice(from, from + BACKENDS_AT_ONCE).map((_s, k) => {
        const i = from + k
        const socket = join(dir.path, `s${i}.sock`)
        const child = spawn(process.execPath, [BACKEND], { env: { ...process.env, SESSIOND_SOCKET: socket }, stdio: 'ignore' })
        trackChild(child)
        children.push(child)
        return waitForListener({ path: socket }, child, `backend ${i}`)
      }))
    }
    const port = await freePort()
    const conf = join(dir.path, 'nginx.conf')
    await writeFile(conf, nginxConf(dir.path, port, sessions))
    const master = spawn(nginx, ['-p', dir.path, '-e', join(dir.path, 'error.log'), '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' })
    trackChild(master)
    children.unshift(master)
    await waitForListener({ host: '127.0.0.1', port }, master, 'nginx', () => readFile(join(dir.path, 'error.log'), 'utf8').catch(() => ''))
    return { url: `http://127.0.0.1:${port}`, pid: await workerPid(master.pid!), stop }
  } catch (err) {
    await stop()
    throw err
  }
}
