import { existsSync } from 'node:fs'
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ScaffoldError } from '../errors.ts'
import { scaffoldFiles } from './init-template.ts'
import { INIT_USAGE } from './commands.ts'


/** A realm name from a directory name: lower-case letters, digits and dashes, starting with a letter. */
function realmName (dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+|-+$/g, '').slice(0, 63)
  return name || 'app'
}

/** The package directory of the SDK this CLI runs with (a checkout's sources or an installed dist). */
function sdkDirectory (): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@sessiond/worker-sdk')))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return dir
}

export async function init (argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: 'string' }, force: { type: 'boolean' } },
    allowPositionals: true,
    strict: true
  })
  if (positionals.length !== 1) throw new Error(`usage: ${INIT_USAGE}`)
  const dir = resolve(positionals[0])
  const name = values.name ?? realmName(dir)
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new ScaffoldError(`--name: expected a lower-case name (letters, digits, dashes), got ${JSON.stringify(name)}`)
  await mkdir(dir, { recursive: true })
  const present = (await readdir(dir)).filter(f => f !== '.git')
  if (present.length > 0 && !values.force) throw new ScaffoldError(`${dir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): choose another directory or pass --force`)
  const sdkDir = sdkDirectory()
  for (const [file, text] of Object.entries(scaffoldFiles({ name, sdkDir }))) await writeFile(join(dir, file), text)
  // What `npm install` would make of the file: dependency, so that the realm runs before any install.
  const link = join(dir, 'node_modules', '@sessiond', 'worker-sdk')
  if (!existsSync(link)) {
    await mkdir(dirname(link), { recursive: true })
    await symlink(sdkDir, link, 'dir')
  }
  const shown = relative(process.cwd(), dir) || '.'
  process.stdout.write(`realm ${name} scaffolded in ${dir}
  sessiond start --config ${join(shown, 'sessiond.yaml')}    then open http://127.0.0.1:8080/${name}/
  cd ${shown} && node --test handler.test.ts      (needs sessiond on PATH, or SESSIOND=path/to/sessiond)
  cd ${shown} && npm install && npm run typecheck   (TypeScript and Node's types, for tsc)
`)
}
