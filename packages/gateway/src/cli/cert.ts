import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createSelfSignedCert } from '../self-signed-cert.ts'
import { clusterCert } from './cluster-cert.ts'

export const CERT_USAGE = 'sessiond cert --out DIR --name HOST [--name HOST …] [--days N]'

/** A self-signed certificate for `tls.cert` / `tls.key`. */
export async function cert (argv: string[]): Promise<void> {
  // A cluster's CA, or a host's certificate issued by it: cluster-cert.ts.
  if (argv.includes('--ca') || argv.includes('--signed-by')) return clusterCert(argv)
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
      name: { type: 'string', short: 'n', multiple: true },
      days: { type: 'string' }
    },
    strict: true
  })
  if (!values.out) throw new Error(`--out is required: ${CERT_USAGE}`)
  const days = values.days === undefined ? undefined : Number(values.days)
  if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new Error(`--days: expected a positive integer, got ${values.days}`)
  const files = await createSelfSignedCert({ outDir: resolve(values.out), names: values.name ?? [], days })
  process.stdout.write(`certificate ${files.cert}\nkey ${files.key}\n`)
}
