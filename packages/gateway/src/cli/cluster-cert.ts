import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createHostCert } from '../cluster-cert.ts'
import { CLUSTER_CERT_USAGE } from './cluster-commands.ts'

/** A cluster host's certificate (cluster.auth mode mtls), issued by the CA that `sessiond cert --ca` made. */
export async function clusterCert (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
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
  const role = values.role
  if (role !== 'gateway' && role !== 'supervisor') throw new Error(`--role: expected gateway or supervisor, got ${role ?? 'nothing'}`)
  if (!values.host) throw new Error(`--host is required: ${CLUSTER_CERT_USAGE}`)
  const files = await createHostCert({ caDir: resolve(values['signed-by']!), role, host: values.host, names: values.name ?? [], outDir: resolve(values.out), days })
  process.stdout.write(`certificate ${files.cert}\nkey ${files.key}\n`)
}
