import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CertError } from './errors.ts'

const run = promisify(execFile)

export interface SelfSignedOptions {
  /** Written there as cert.pem and key.pem (mode 0600). */
  outDir: string
  /** Host names or addresses; localhost, 127.0.0.1 and ::1 are always added. */
  names: string[]
  days?: number
  /** Make a CA too, and sign the server certificate with it. */
  ca?: boolean
}

/** `DNS:name` or `IP:address` entries for the subjectAltName extension. */
function subjectAltNames (names: string[]): string[] {
  const all = [...new Set([...names, 'localhost', '127.0.0.1', '::1'])]
  for (const n of all) {
    if (!isIP(n) && !/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n)) throw new CertError(`not a host name or address: ${JSON.stringify(n)}`)
  }
  return all.map(n => (isIP(n) ? 'IP:' : 'DNS:') + n)
}

/** A server certificate: not a CA (Apache and others warn about, or refuse, a CA:TRUE server certificate). */
const LEAF_EXTENSIONS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth']
const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

async function openssl (args: string[]): Promise<void> {
  try {
    await run('openssl', args)
  } catch (err) {
    throw new CertError(`openssl failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err })
  }
}

/** A key file that exists with mode 0600 before openssl writes a byte into it; renamed into place by the caller. */
async function privateFile (file: string): Promise<string> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, '', { mode: 0o600 })
  return tmp
}

async function settle (tmp: string, file: string): Promise<void> {
  await chmod(tmp, 0o600)
  await rename(tmp, file)
}

export interface CertFiles { cert: string, key: string, ca?: string, caKey?: string }

/**
 * A server certificate and its key (ECDSA P-256), made by the system's
 * openssl (Debian's openssl package) rather than a JavaScript X.509 library:
 * it is on every host that runs TLS servers, and it is the reference. It is
 * a leaf (CA:FALSE, serverAuth), self-signed; with `ca` a CA is made first
 * (ca.pem, ca-key.pem) and signs it, so that clients trust the CA once.
 */
export async function createSelfSignedCert ({ outDir, names, days = 825, ca = false }: SelfSignedOptions): Promise<CertFiles> {
  const sans = subjectAltNames(names)
  const subject = `/CN=${names[0] ?? 'localhost'}`
  await mkdir(outDir, { recursive: true, mode: 0o700 })
  const cert = join(outDir, 'cert.pem')
  const key = join(outDir, 'key.pem')
  const leaf = [...LEAF_EXTENSIONS, `subjectAltName=${sans.join(',')}`]
  const keyTmp = await privateFile(key)
  if (!ca) {
    await openssl(['req', '-x509', ...EC_KEY, '-keyout', keyTmp, '-out', cert, '-days', String(days), '-subj', subject,
      ...leaf.flatMap(e => ['-addext', e])])
    await settle(keyTmp, key)
    return { cert, key }
  }
  const caCert = join(outDir, 'ca.pem')
  const caKey = join(outDir, 'ca-key.pem')
  const caKeyTmp = await privateFile(caKey)
  await openssl(['req', '-x509', ...EC_KEY, '-keyout', caKeyTmp, '-out', caCert, '-days', String(days),
    '-subj', `/CN=sessiond CA for ${names[0] ?? 'localhost'}`, ...CA_EXTENSIONS.flatMap(e => ['-addext', e])])
  await settle(caKeyTmp, caKey)
  const csr = join(outDir, `cert.${process.pid}.csr`)
  const ext = join(outDir, `cert.${process.pid}.ext`)
  try {
    await openssl(['req', '-new', ...EC_KEY, '-keyout', keyTmp, '-out', csr, '-subj', subject])
    await writeFile(ext, leaf.join('\n') + '\n')
    await openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', '0x' + randomBytes(16).toString('hex'),
      '-days', String(days), '-extfile', ext, '-out', cert])
  } finally {
    await rm(csr, { force: true })
    await rm(ext, { force: true })
  }
  await settle(keyTmp, key)
  return { cert, key, ca: caCert, caKey }
}
