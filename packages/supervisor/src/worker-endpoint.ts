import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { chown, mkdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { SocketPathTooLongError } from './errors.ts'

/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107

/** Where a child worker listens: a unix socket in its private directory, or a loopback port. */
export type WorkerEndpoint =
  | { kind: 'unix', dir: string, socketPath: string }
  | { kind: 'port', dir: string, port: number }

/**
 * A fresh private directory (mode 0700, owned by the worker's account): its
 * working directory, and where its socket lives, so that no other
 * session's worker can reach the socket, whatever the socket's own mode.
 */
export async function createPrivateDir (runDir: string, owner?: { uid: number, gid: number }): Promise<string> {
  const dir = join(runDir, randomBytes(6).toString('base64url'))
  await mkdir(dir, { mode: 0o700 })
  if (owner) await chown(dir, owner.uid, owner.gid)
  return dir
}

/** The worker's endpoint in its private directory. */
export async function endpointIn (dir: string, listen: 'unix' | 'port'): Promise<WorkerEndpoint> {
  if (listen === 'port') return { kind: 'port', dir, port: await freeLoopbackPort() }
  const socketPath = join(dir, 'w.sock')
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    await rm(dir, { recursive: true, force: true })
    throw new SocketPathTooLongError(socketPath, MAX_SOCKET_PATH)
  }
  return { kind: 'unix', dir, socketPath }
}

export function removePrivateDir (dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true })
}

/** A port the kernel just gave us on 127.0.0.1; the child binds it right after. */
async function freeLoopbackPort (): Promise<number> {
  const srv = createServer().unref()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as { port: number }
  srv.close()
  await once(srv, 'close')
  return port
}
