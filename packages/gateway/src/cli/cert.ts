import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createSelfSignedCert } from '../self-signed-cert.ts'

export const CERT_USAGE = 'sessiond cert --out DIR --name HOST [--name HOST …] [--days N] [--ca]'
export const CERT_HELP = `${CERT_USAGE}

Makes a server certificate for tls.cert / tls.key: DIR/cert.pem and
DIR/key.pem (mode 0600), ECDSA P-256, by the system's openssl. It is a leaf
(CA:FALSE, serverAuth) for the names given plus localhost, 127.0.0.1 and ::1;
the first name is its CN. Self-signed, unless --ca: then a CA is made too
(DIR/ca.pem, DIR/ca-key.pem) and signs it, so that browsers and curl can
trust ca.pem once (curl --cacert DIR/ca.pem).

  -o, --out DIR     where the files go (made with mode 0700)
  -n, --name HOST   a host name or address, repeatable
  --days N          validity (default 825)
  --ca              make a CA and sign the certificate with it
  -h, --help        this text`

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
