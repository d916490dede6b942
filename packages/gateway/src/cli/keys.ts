import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { cookieKeyFile, rotateCookieKeys } from '../cookie-key.ts'
import { envOverrides } from './env-overrides.ts'
import { KEYS_USAGE } from './commands.ts'


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
