// The certificates of a cluster's mutual TLS: one CA (`sessiond cert --ca`,
// self-signed-cert.ts: ca.pem, ca-key.pem), then one certificate per host,
// issued by it, that names its role (OU) and its host id (CN), both checked
// by the other side (cluster-auth.ts in the supervisor package). Made by the
// system's openssl, as the CA is.
import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CertError } from './errors.ts'

const run = promisify(execFile)
const HOST_ID = /^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$/

export type ClusterRole = 'gateway' | 'supervisor'

async function openssl (args: string[]): Promise<void> {
  try {
    await run('openssl', args)
  } catch (err) {
    throw new CertError(`openssl failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err })
  }
}

/** A key file that exists with mode 0600 before openssl writes a byte into it; renamed into place once written. */
async function privateFile (path: string): Promise<string> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, '', { mode: 0o600 })
  return tmp
}

export interface HostCertOptions {
  /** The directory of the CA, as `sessiond cert --ca` made it (ca.pem, ca-key.pem). */
  caDir: string
  role: ClusterRole
  /** The host id (cluster.host of a supervisor; any name for a gateway). */
  host: string
  /** Addresses and names the host is reached at, for its subjectAltName. */
  names?: string[]
  outDir: string
  days?: number
}

/** <host>.pem and <host>.key (mode 0600), issued by the cluster's CA for one role. */
export async function createHostCert ({ caDir, role, host, names = [], outDir, days = 825 }: HostCertOptions): Promise<{ cert: string, key: string }> {
  if (!HOST_ID.test(host)) throw new CertError(`--host: expected a host id (lower-case letters, digits, dots and dashes), got ${JSON.stringify(host)}`)
  for (const n of names) {
    if (!isIP(n) && !/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n)) throw new CertError(`not a host name or address: ${JSON.stringify(n)}`)
  }
  const sans = [...new Set([host, ...names])].map(n => (isIP(n) ? 'IP:' : 'DNS:') + n)
  await mkdir(outDir, { recursive: true, mode: 0o700 })
  const cert = join(outDir, `${host}.pem`)
  const key = join(outDir, `${host}.key`)
  const work = await mkdtemp(join(tmpdir(), 'sessiond-cert-'))
  try {
    const keyTmp = await privateFile(key)
    const csr = join(work, 'host.csr')
    const ext = join(work, 'host.ext')
    await writeFile(ext, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      // A gateway is a client of supervisors; both may also serve TLS (a gateway's own listener uses tls.cert).
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${sans.join(',')}`
    ].join('\n') + '\n')
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyTmp, '-out', csr, '-subj', `/CN=${host}/OU=sessiond-${role}`])
    await openssl(['x509', '-req', '-in', csr, '-CA', join(caDir, 'ca.pem'), '-CAkey', join(caDir, 'ca-key.pem'), '-CAcreateserial', '-CAserial', join(work, 'ca.srl'), '-out', cert, '-days', String(days), '-extfile', ext])
    await chmod(keyTmp, 0o600)
    await rename(keyTmp, key)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return { cert, key }
}
