import { execFile } from 'node:child_process'
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
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
}

/** `DNS:name` or `IP:address` entries for the subjectAltName extension. */
function subjectAltNames (names: string[]): string[] {
  const all = [...new Set([...names, 'localhost', '127.0.0.1', '::1'])]
  for (const n of all) {
    if (!isIP(n) && !/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n)) throw new CertError(`not a host name or address: ${JSON.stringify(n)}`)
  }
  return all.map(n => (isIP(n) ? 'IP:' : 'DNS:') + n)
}

/**
 * A self-signed certificate and its key (ECDSA P-256), made by the system's
 * openssl (Debian's openssl package) rather than a JavaScript X.509 library:
 * it is on every host that runs TLS servers, and it is the reference.
 */
export async function createSelfSignedCert ({ outDir, names, days = 825 }: SelfSignedOptions): Promise<{ cert: string, key: string }> {
  const sans = subjectAltNames(names)
  await mkdir(outDir, { recursive: true, mode: 0o700 })
  const cert = join(outDir, 'cert.pem')
  const key = join(outDir, 'key.pem')
  const keyTmp = `${key}.${process.pid}.tmp`
  // The key file exists with mode 0600 before openssl writes a byte into it.
  await writeFile(keyTmp, '', { mode: 0o600 })
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyTmp, '-out', cert, '-days', String(days), '-subj', `/CN=${names[0] ?? 'localhost'}`,
      '-addext', `subjectAltName=${sans.join(',')}`
    ])
  } catch (err) {
    throw new CertError(`openssl failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err })
  }
  await chmod(keyTmp, 0o600)
  await rename(keyTmp, key)
  return { cert, key }
}
