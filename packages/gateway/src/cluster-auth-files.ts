import { X509Certificate } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { certificateRole } from '@sessiond/supervisor'
import type { ClusterAuth, ClusterConfig } from '@sessiond/supervisor'
import { ConfigError } from './errors.ts'

/** The shortest HMAC secret taken: 256 bits, as HMAC-SHA256's key wants. */
const MIN_SECRET_BYTES = 32

async function read (file: string, key: string, secret: boolean): Promise<Buffer> {
  try {
    if (secret) {
      const mode = (await stat(file)).mode
      if ((mode & 0o077) !== 0) throw new Error(`mode ${(mode & 0o777).toString(8)} lets others read it; expected 600 (chmod 600 it)`)
    }
    return await readFile(file)
  } catch (err) {
    throw new ConfigError(`${key} ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * cluster.auth's files: the CA, this host's certificate and key (mutual
 * TLS), or the shared secret (hmac). Key and secret files others can read
 * stop the start, as the cookie key does. `role` (and, for a supervisor,
 * its host id) must be what the certificate was issued for.
 */
export async function readClusterAuth (cluster: ClusterConfig, role: 'sessiond-gateway' | 'sessiond-supervisor', hostId?: string): Promise<ClusterAuth> {
  const auth = cluster.auth
  if (auth.mode === 'hmac') {
    const secret = (await read(auth.secret, 'cluster.auth.secret', true)).toString().split(/\r?\n/, 1)[0]
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new ConfigError(`cluster.auth.secret ${auth.secret}: expected at least ${MIN_SECRET_BYTES} bytes on its first line (openssl rand -base64 48), got ${Buffer.byteLength(secret)}`)
    return { mode: 'hmac', secret: Buffer.from(secret) }
  }
  const [ca, cert, key] = await Promise.all([read(auth.ca, 'cluster.auth.ca', false), read(auth.cert, 'cluster.auth.cert', false), read(auth.key, 'cluster.auth.key', true)])
  let issued: { role?: string, host?: string }
  try {
    issued = certificateRole(new X509Certificate(cert))
  } catch (err) {
    throw new ConfigError(`cluster.auth.cert ${auth.cert}: not a PEM certificate`, { cause: err })
  }
  if (issued.role !== role) throw new ConfigError(`cluster.auth.cert ${auth.cert}: expected a certificate for a ${role.slice(9)} (OU=${role}), got OU=${issued.role ?? 'none'} (sessiond cert --signed-by … --role ${role.slice(9)})`)
  if (hostId !== undefined && issued.host !== hostId) throw new ConfigError(`cluster.auth.cert ${auth.cert}: expected a certificate for host ${hostId} (CN=${hostId}), got CN=${issued.host ?? 'none'}`)
  return { mode: 'mtls', ca, cert, key }
}
