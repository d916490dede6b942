import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { cookieKeyFile, rotateCookieKeys } from '../cookie-key.ts'
import { envOverrides } from './start.ts'

export const KEYS_USAGE = 'sessiond keys rotate [--keep N] [--config FILE | --data DIR]'
export const KEYS_HELP = `${KEYS_USAGE}

Puts a new cookie key first in DATA/cookie.key and keeps the N newest (2 by
default): after a restart, cookies sealed with a kept older key still open
and are re-sealed; cookies under a dropped key are refused.

  --keep N           keys kept, the new one included (default 2)
  -c, --config FILE  the data directory of this config
  -d, --data DIR     the data directory (default ./.sessiond, or SESSIOND_DATA)
  -h, --help         this text`

/** `keys rotate`: a new cookie key first; the previous one kept so that open sessions survive. */
export async function keys (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      keep: { type: 'string' },
      config: { type: 'string', short: 'c' },
      data: { type: 'string', short: 'd' }
    },
    allowPositionals: true,
    strict: true
  })
  if (positionals.length !== 1 || positionals[0] !== 'rotate') throw new Error(`usage: ${KEYS_USAGE}`)
  const keep = values.keep === undefined ? 2 : Number(values.keep)
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`--keep: expected a positive integer, got ${values.keep}`)
  const env = envOverrides(process.env)
  const dataDir = values.config
    ? loadConfig(values.config, { ...env, ...(values.data && { dataDir: values.data }) }).dataDir
    : resolve(values.data ?? env.dataDir ?? '.sessiond')
  const now = await rotateCookieKeys(dataDir, keep)
  process.stdout.write(`${cookieKeyFile(dataDir)}: a new key first, ${now.length} in all; restart sessiond to seal with it\n`)
}
