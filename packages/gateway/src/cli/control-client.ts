import { request } from 'node:http'
import { existsSync } from 'node:fs'
import { controlSocketPath } from '../control-socket.ts'
import { ControlSocketError } from '../errors.ts'

/** One request to the daemon's control socket; answers the JSON body, or throws the daemon's coded error. */
export function controlRequest<T> (dataDir: string, method: 'GET' | 'POST', path: string): Promise<T> {
  const socketPath = controlSocketPath(dataDir)
  if (!existsSync(socketPath)) {
    return Promise.reject(new ControlSocketError(`no sessiond serves ${dataDir}: ${socketPath} does not exist (is the daemon running with this data directory? --config or --data)`))
  }
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { accept: 'application/json', ...(method === 'POST' && { 'content-type': 'application/json' }) } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => {
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          return reject(new ControlSocketError(`the control socket answered ${res.statusCode} with something other than JSON`))
        }
        if ((res.statusCode ?? 500) >= 400) {
          const e = body as { error?: string, message?: string }
          return reject(Object.assign(new Error(e.message ?? `status ${res.statusCode}`), { code: e.error }))
        }
        resolve(body as T)
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) => reject(new ControlSocketError(
      err.code === 'ECONNREFUSED' ? `no sessiond answers on ${socketPath} (it is not running, or stopped without removing its socket)` : `${socketPath}: ${err.message}`, { cause: err })))
    req.end(method === 'POST' ? '{}' : undefined)
  })
}
