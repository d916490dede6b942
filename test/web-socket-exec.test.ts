import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { login } from './helpers/daemon.ts'
import { startInProcessDaemon } from './helpers/in-process-daemon.ts'
import { openSocket, refusedWith, wsUrl } from './helpers/web-socket-client.ts'

// exec workers' WebSockets are proxied as bytes: the child's own WebSocket
// server does the handshake and the framing. An unmodified third-party
// server (Debian's python3-websockets) per session, as the session's system
// account (runAs: session-user), on a unix socket in its private directory.

const ROOT = process.getuid?.() === 0
const skip = !ROOT && process.env.CI !== 'true' ? 'needs root to create a system user' : false
const USER = 'sdws-alice'

// The whole program: the library's own server, listening where sessiond says.
const PY_SERVER = `
import asyncio, os, pwd, websockets
async def echo(ws):
    async for message in ws:
        if message == 'whoami':
            await ws.send(pwd.getpwuid(os.getuid()).pw_name + ' ' + os.environ['SESSIOND_USER'])
        else:
            await ws.send(message)
async def main():
    async with websockets.unix_serve(echo, os.environ['SESSIOND_SOCKET']):
        await asyncio.Future()
asyncio.run(main())
`

// A server that refuses every upgrade and says how many connections it has open.
const REFUSER = `
const http = require('node:http')
let open = 0
const server = http.createServer((req, res) => res.end(String(open)))
server.on('connection', (c) => { open++; c.on('close', () => open--) })
server.on('upgrade', (req, socket) => { socket.resume(); socket.on('error', () => {}); socket.on('end', () => socket.destroy()); socket.write('HTTP/1.1 403 Forbidden\\r\\ncontent-length: 2\\r\\n\\r\\nno') })
server.listen(process.env.SESSIOND_SOCKET)
`

before(() => {
  if (skip) return
  assert.ok(ROOT, 'runAs tests must run as root (they create a system user)')
  try {
    execFileSync('id', [USER], { stdio: 'ignore' })
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER])
  }
})

after(() => {
  if (skip) return
  try {
    execFileSync('userdel', [USER], { stdio: 'ignore' })
  } catch {
    // Already gone.
  }
})

test('exec: an unmodified Python WebSocket server per session, as the session\'s user; an idle stop closes its socket with 1001', { skip }, async (t) => {
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    users: { demo: USER },
    realms: [{ name: 'py', mount: '/py', kind: 'exec', command: ['/usr/bin/python3', '-c', PY_SERVER], runAs: 'session-user', idleTimeout: '10m', socketIdleTimeout: '1s' }]
  })
  const cookie = await login(d.url, USER, d.demo!.password!)
  const s = await openSocket(wsUrl(d.url, '/py/'), { cookie })
  s.ws.send('whoami')
  assert.equal(await s.next(), `${USER} ${USER}`, 'the server runs as the session\'s system account')
  s.ws.send(Buffer.from([7, 8, 9]))
  assert.deepEqual(await s.next(), Buffer.from([7, 8, 9]))
  s.ws.send('x'.repeat(100_000))
  assert.equal(String(await s.next()).length, 100_000)
  assert.equal(d.supervisor.stats().workers, 1)
  // No message for the realm's socket idle timeout: the worker stops, and the client hears why.
  const { code } = await s.closed
  assert.equal(code, 1001)
  assert.equal(d.supervisor.stats().reaped, 1)
})

test('exec: a refused upgrade is the child\'s own answer, and its connection to the child is closed', { skip }, async (t) => {
  const d = await startInProcessDaemon(t, {
    log: { level: 'silent' },
    users: { demo: USER },
    realms: [{ name: 'no', mount: '/no', kind: 'exec', command: [process.execPath, '-e', REFUSER] }]
  })
  const cookie = await login(d.url, USER, d.demo!.password!)
  for (let i = 0; i < 3; i++) assert.equal(await refusedWith(wsUrl(d.url, '/no/'), { cookie }), 403)
  let open = ''
  for (let i = 0; i < 50 && open !== '1'; i++) {
    await sleep(20)
    // This request's own connection is the one left open.
    open = await (await fetch(d.url + '/no/', { headers: { cookie } })).text()
  }
  assert.equal(open, '1', 'no connection of a refused upgrade is left behind')
})
