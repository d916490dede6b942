import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createSelfSignedCert } from '../self-signed-cert.ts'
import { CERT_USAGE } from './commands.ts'


/** A self-signed certificate for `tls.cert` / `tls.key`. */
export async function cert (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
      name: { type: 'string', short: 'n', multiple: true },
      days: { type: 'string' },
      ca: { type: 'boolean' }
    },
    strict: true
  })
  if (!values.out) throw new Error(`--out is required: ${CERT_USAGE}`)
  const days = values.days === undefined ? undefined : Number(values.days)
  if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new Error(`--days: expected a positive integer, got ${values.days}`)
  const files = await createSelfSignedCert({ outDir: resolve(values.out), names: values.name ?? [], days, ca: values.ca ?? false })
  process.stdout.write(`certificate ${files.cert}\nkey ${files.key}\n${files.ca ? `ca ${files.ca}\nca key ${files.caKey}\n` : ''}`)
}
