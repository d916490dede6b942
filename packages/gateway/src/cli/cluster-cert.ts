import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createClusterCa, createHostCert } from '../cluster-cert.ts'

export const CLUSTER_CERT_USAGE = `sessiond cert --ca --out DIR [--days N]                  # a cluster's CA (ca.pem, ca.key)
  sessiond cert --signed-by CADIR --role gateway|supervisor --host ID --out DIR [--name ADDR …] [--days N]`

/** The certificates of a cluster's mutual TLS (cluster.auth mode mtls): its CA, or one host's, issued by it. */
export async function clusterCert (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ca: { type: 'boolean' },
      'signed-by': { type: 'string' },
      role: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string', short: 'n', multiple: true },
      out: { type: 'string', short: 'o' },
      days: { type: 'string' }
    },
    strict: true
  })
  if (!values.out) throw new Error(`--out is required: ${CLUSTER_CERT_USAGE}`)
  const days = values.days === undefined ? undefined : Number(values.days)
  if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new Error(`--days: expected a positive integer, got ${values.days}`)
  if (values.ca) {
    const files = await createClusterCa({ outDir: resolve(values.out), days })
    process.stdout.write(`cluster CA ${files.cert}\nkey ${files.key} (keep it off the hosts)\n`)
    return
  }
  const role = values.role
  if (role !== 'gateway' && role !== 'supervisor') throw new Error(`--role: expected gateway or supervisor, got ${role ?? 'nothing'}`)
  if (!values.host) throw new Error(`--host is required: ${CLUSTER_CERT_USAGE}`)
  const files = await createHostCert({ caDir: resolve(values['signed-by']!), role, host: values.host, names: values.name ?? [], outDir: resolve(values.out), days })
  process.stdout.write(`certificate ${files.cert}\nkey ${files.key}\n`)
}
